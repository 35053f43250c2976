import ChurnCore

// Wire layout of the aggregate inside SHARD_RESULT (proto-docs/messages.md, "ScoreAggregate").

extension ScoreAggregate {
    func encode(into w: inout WireWriter) {
        w.write(rowsScored)
        w.write(rowsRejected)
        for i in 0..<Self.healthBins { w.write(i < healthHistogram.count ? healthHistogram[i] : 0) }
        for i in 0..<3 { w.write(i < riskCounts.count ? riskCounts[i] : 0) }
        w.write(revenueCents)
        w.write(highRiskRevenueCents)
        w.write(expectedLossCents)
        w.write(imputedCells)
        w.write(unseenCategories)
        w.write(UInt32(clamping: topLimit))
        w.write(UInt32(clamping: rejectedLimit))
        w.writeList(top) { $1.encode(into: &$0) }
        w.writeList(rejected) { w, row in
            w.write(row.line)
            w.write(row.reason)
        }
        // Version 3: drift counts, a u8 presence flag and two lists of u64.
        w.write(UInt8(drift == nil ? 0 : 1))
        if let drift {
            w.writeList(drift.numericBins) { $0.write($1) }
            w.writeList(drift.unseenCategories) { $0.write($1) }
        }
    }

    init(from r: inout WireReader) throws {
        let rowsScored = try r.read(UInt64.self, "rows scored")
        let rowsRejected = try r.read(UInt64.self, "rows rejected")
        var histogram: [UInt64] = []
        histogram.reserveCapacity(Self.healthBins)
        for _ in 0..<Self.healthBins { histogram.append(try r.read(UInt64.self, "health histogram")) }
        var risk: [UInt64] = []
        for _ in 0..<3 { risk.append(try r.read(UInt64.self, "risk counts")) }
        let revenue = try r.read(Int64.self, "revenue cents")
        let highRiskRevenue = try r.read(Int64.self, "high-risk revenue cents")
        let expectedLoss = try r.read(Int64.self, "expected loss cents")
        let imputed = try r.read(UInt64.self, "imputed cells")
        let unseen = try r.read(UInt64.self, "unseen categories")
        let topLimit = try r.read(UInt32.self, "top limit")
        let rejectedLimit = try r.read(UInt32.self, "rejected limit")
        self.init(topLimit: Int(topLimit), rejectedLimit: Int(rejectedLimit))
        self.rowsScored = rowsScored
        self.rowsRejected = rowsRejected
        healthHistogram = histogram
        riskCounts = risk
        revenueCents = revenue
        highRiskRevenueCents = highRiskRevenue
        expectedLossCents = expectedLoss
        imputedCells = imputed
        unseenCategories = unseen
        // Smallest RankedCustomer: 8 + 4 + 4 + 8 + 8 + 1 + 4 + 1 + 4 + 4 + 8 bytes.
        top = try r.readList("top", minItemSize: 54) { try RankedCustomer(from: &$0) }
        rejected = try r.readList("rejected", minItemSize: 12) { r in
            RejectedRow(line: try r.read(UInt64.self, "rejected line"), reason: try r.readString("rejected reason"))
        }
        switch try r.readU8("drift present") {
        case 0: drift = nil
        case 1:
            drift = DriftCounts(numericBins: try r.readList("drift bins", minItemSize: 8) { try $0.read(UInt64.self, "drift bin") },
                                unseenCategories: try r.readList("unseen categories", minItemSize: 8) { try $0.read(UInt64.self, "unseen count") })
        case let flag: throw r.malformed("drift present flag \(flag) (0 or 1)")
        }
    }

    /// Equality that treats doubles by bit pattern (NaN equals NaN), for round-trip checks.
    func bitwiseEquals(_ o: ScoreAggregate) -> Bool {
        rowsScored == o.rowsScored && rowsRejected == o.rowsRejected && healthHistogram == o.healthHistogram
            && riskCounts == o.riskCounts && revenueCents == o.revenueCents
            && highRiskRevenueCents == o.highRiskRevenueCents && expectedLossCents == o.expectedLossCents
            && imputedCells == o.imputedCells && unseenCategories == o.unseenCategories && topLimit == o.topLimit
            && rejectedLimit == o.rejectedLimit && rejected == o.rejected && drift == o.drift
            && top.count == o.top.count && zip(top, o.top).allSatisfy { $0.bitwiseEquals($1) }
    }
}

extension RankedCustomer {
    /// line u64, id string, email string, revenue f64 (NaN: none), probability f64, risk score u8,
    /// risk level string, health u8, drivers list of (name string, impact f64, direction string,
    /// value, typical), intervention string, rank key f64. A value is a u8 tag (0 none, 1 number,
    /// 2 text) followed by an f64 or a string.
    /// Risk score and health are clamped to 0–255 when written (they are 0–100).
    func encode(into w: inout WireWriter) {
        w.write(line)
        w.write(id)
        w.write(email)
        w.write(revenue ?? .nan)
        w.write(probability)
        w.write(UInt8(clamping: riskScore))
        w.write(riskLevel)
        w.write(UInt8(clamping: health))
        w.writeList(drivers) { w, d in
            w.write(d.name)
            w.write(d.impact)
            w.write(d.direction?.rawValue ?? "")
            Self.write(d.value, into: &w)
            Self.write(d.typical, into: &w)
        }
        w.write(intervention)
        w.write(rankKey)
    }

    init(from r: inout WireReader) throws {
        let line = try r.read(UInt64.self, "top line")
        let id = try r.readString("top id")
        let email = try r.readString("top email")
        let revenue = try r.readDouble("top revenue")
        let probability = try r.readDouble("top probability")
        let riskScore = try r.readU8("top risk score")
        let riskLevel = try r.readString("top risk level")
        let health = try r.readU8("top health")
        let drivers = try r.readList("top drivers", minItemSize: 18) { r in
            let name = try r.readString("driver name")
            let impact = try r.readDouble("driver impact")
            let directionText = try r.readString("driver direction")
            let direction = directionText.isEmpty ? nil : DriverDirection(rawValue: directionText)
            if !directionText.isEmpty && direction == nil { throw r.malformed("driver direction '\(directionText)'") }
            return DriverImpact(name: name, impact: impact, direction: direction, value: try Self.readValue(&r, "driver value"),
                                typical: try Self.readValue(&r, "driver typical"))
        }
        let intervention = try r.readString("top intervention")
        let rankKey = try r.readDouble("top rank key")
        self.init(line: line, id: id, email: email, revenue: revenue.isNaN ? nil : revenue, probability: probability,
                  riskScore: Int(riskScore), riskLevel: riskLevel, health: Int(health), drivers: drivers,
                  intervention: intervention, rankKey: rankKey)
    }

    func bitwiseEquals(_ o: RankedCustomer) -> Bool {
        line == o.line && id == o.id && email == o.email && revenue?.bitPattern == o.revenue?.bitPattern
            && probability.bitPattern == o.probability.bitPattern && riskScore == o.riskScore
            && riskLevel == o.riskLevel && health == o.health && intervention == o.intervention
            && rankKey.bitPattern == o.rankKey.bitPattern && drivers.count == o.drivers.count
            && zip(drivers, o.drivers).allSatisfy {
                $0.name == $1.name && $0.impact.bitPattern == $1.impact.bitPattern && $0.direction == $1.direction
                    && $0.value == $1.value && $0.typical == $1.typical
            }
    }

    private static func write(_ value: DriverValue?, into w: inout WireWriter) {
        switch value {
        case nil: w.write(UInt8(0))
        case .number(let n)?: w.write(UInt8(1)); w.write(n)
        case .text(let t)?: w.write(UInt8(2)); w.write(t)
        }
    }

    private static func readValue(_ r: inout WireReader, _ what: String) throws -> DriverValue? {
        switch try r.readU8(what) {
        case 0: return nil
        case 1: return .number(try r.readDouble(what))
        case 2: return .text(try r.readString(what))
        case let tag: throw r.malformed("\(what) tag \(tag)")
        }
    }
}
