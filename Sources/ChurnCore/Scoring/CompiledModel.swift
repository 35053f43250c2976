import Foundation

/// A `ChurnModel` flattened into arrays for the scoring hot path.
///
/// Built once per model; `score` then allocates nothing. Drivers are numbered: numeric features
/// first (in model order), then every category of every categorical feature.
public final class CompiledModel: @unchecked Sendable {  // immutable after init (raw buffers): only read, from any thread
    public let model: ChurnModel
    public let numericCount: Int
    public let categoricalCount: Int
    /// `column high` / `column low` for numeric drivers (the direction that raises risk, fixed by
    /// the coefficient's sign), `column=value` for categories.
    public let driverNames: [String]
    /// Each driver's column.
    public let driverColumns: [String]
    /// Each driver's direction: `high`/`low` for numeric features (nil when the coefficient is 0,
    /// which is never a driver), `is` for categories.
    public let driverDirections: [DriverDirection?]
    /// Each driver's typical value: the training median (numeric) or most frequent category.
    public let driverTypical: [DriverValue]
    /// Distinct intervention texts; `RowScore.intervention` indexes this.
    public let actions: [String]
    /// For each categorical feature, its categories' UTF-8 bytes (for byte-level lookup).
    public let categoryBytes: [[[UInt8]]]

    // Hot data as raw buffers, so scoring touches no reference-counted storage (two threads
    // reading Swift arrays of one shared object contend on its reference count).
    let intercept: Double
    let means: UnsafeMutablePointer<Double>
    let invStds: UnsafeMutablePointer<Double>
    let medians: UnsafeMutablePointer<Double>
    let coefficients: UnsafeMutablePointer<Double>
    /// +1 when a numeric feature raises risk above its typical value, -1 below it, 0 never.
    let riskSigns: UnsafeMutablePointer<Double>
    /// Coefficients of all categories, feature after feature; `categoryDriverBase` - numericCount indexes it.
    let categoryCoefficients: UnsafeMutablePointer<Double>
    /// Frequency-weighted mean coefficient of each categorical feature: the "average customer".
    let categoryBaselines: UnsafeMutablePointer<Double>
    let categoryDriverBase: UnsafeMutablePointer<Int>
    let healthCount: Int
    let healthFeature: UnsafeMutablePointer<Int>
    let healthWeight: UnsafeMutablePointer<Double>
    let healthLow: UnsafeMutablePointer<Double>
    let healthSpan: UnsafeMutablePointer<Double>
    let healthInvSpan: UnsafeMutablePointer<Double>
    let healthHigherIsBetter: UnsafeMutablePointer<Bool>
    let healthWeightSum: Double
    /// Per global category: its health measure's weight × sub-score / 100 (0 without a measure).
    let categoryHealth: UnsafeMutablePointer<Double>
    /// Per categorical feature: the same for a category unseen in training.
    let categoryHealthUnseen: UnsafeMutablePointer<Double>
    /// The health scale's low end and 100 / span; span 0 means no scale.
    let healthScaleLow: Double
    let healthScaleFactor: Double
    /// actionForDriver[driver * 3 + level] → action index, or -1.
    let actionForDriver: UnsafeMutablePointer<Int32>
    let fallbackAction: UInt16
    let lowRiskAction: UInt16
    let highValueMinimum: Double
    let highValueLevel: RiskLevel
    let highValueAction: UInt16
    let mediumRisk: Int
    let highRisk: Int
    /// All category values' bytes back to back, with offsets (categoryByteStart[k]..<[k+1]) per global category k.
    let categoryText: UnsafeMutablePointer<UInt8>
    @usableFromInline let categoryByteStart: UnsafeMutablePointer<Int>
    /// First global category index of each categorical feature, and one past the last.
    @usableFromInline let categoryStart: UnsafeMutablePointer<Int>
    /// Per global category, its first 16 bytes as two little-endian words, zero beyond its length.
    @usableFromInline let categoryWords: UnsafeMutablePointer<UInt64>
    /// Drift bins: every binned feature's edges back to back, each feature's padded to an even
    /// count with +infinity; per numeric feature its first edge (driftEdgeStart[j]..<[j+1]) and its
    /// first slot in `DriftCounts.numericBins` (-1: no bins).
    let driftEdges: UnsafeMutablePointer<Double>
    let driftEdgeStart: UnsafeMutablePointer<Int>
    let driftSlotStart: UnsafeMutablePointer<Int>
    /// Slots of `DriftCounts.numericBins` for this model (all binned features' bins).
    public let driftSlotCount: Int

    deinit {
        for p in [means, invStds, medians, coefficients, riskSigns, categoryCoefficients, categoryBaselines, healthWeight, healthLow,
                  healthSpan, healthInvSpan, categoryHealth, categoryHealthUnseen] as [UnsafeMutablePointer<Double>] {
            p.deallocate()
        }
        categoryDriverBase.deallocate()
        healthFeature.deallocate()
        healthHigherIsBetter.deallocate()
        actionForDriver.deallocate()
        categoryText.deallocate()
        categoryByteStart.deallocate()
        categoryStart.deallocate()
        categoryWords.deallocate()
        driftEdges.deallocate()
        driftEdgeStart.deallocate()
        driftSlotStart.deallocate()
    }

    /// A raw copy of `values` that lives until `deinit` (at least one element, so never a null pointer).
    private static func buffer<T>(_ values: [T], filler: T) -> UnsafeMutablePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, values.count))
        if values.isEmpty { p.initialize(to: filler) } else { p.initialize(from: values, count: values.count) }
        return p
    }

    /// Errors in a model or its overrides that make it unusable for scoring.
    public struct InvalidModel: Error, CustomStringConvertible {
        public let description: String
    }

    /// Refuses a model whose numbers would make a score overflow: coefficients (and the intercept)
    /// must be at most 10^6 in size, means and medians at most 10^15 (`NumericRange`), standard
    /// deviations 0 or between 10^-12 and 10^15. With inputs within `NumericRange` every term of
    /// the logit is then finite, and so is the probability. Trained models are far inside these.
    static func checkNumbers(_ model: ChurnModel) throws {
        func check(_ value: Double, within bound: Double, _ what: @autoclosure () -> String) throws {
            guard value.magnitude <= bound else { throw InvalidModel(description: "\(what()) is \(value); it must be at most \(bound) in size") }
        }
        try check(model.intercept, within: 1e6, "the intercept")
        for f in model.numeric {
            try check(f.coefficient, within: 1e6, "numeric feature '\(f.column)': the coefficient")
            try check(f.mean, within: NumericRange.largestMagnitude, "numeric feature '\(f.column)': the mean")
            try check(f.median, within: NumericRange.largestMagnitude, "numeric feature '\(f.column)': the median")
            try check(f.std, within: NumericRange.largestMagnitude, "numeric feature '\(f.column)': the standard deviation")
            guard f.std == 0 || f.std >= 1e-12 else {
                throw InvalidModel(description: "numeric feature '\(f.column)': the standard deviation is \(f.std); it must be 0 or at least 1e-12")
            }
        }
        for f in model.categorical {
            for c in f.categories { try check(c.coefficient, within: 1e6, "categorical feature '\(f.column)' = '\(c.value)': the coefficient") }
        }
    }

    public init(_ model: ChurnModel) throws {
        guard model.format == "churn-model" else { throw InvalidModel(description: "not a churn model file") }
        guard model.formatVersion == ChurnModel.currentFormatVersion else {
            throw InvalidModel(description: "model format version \(model.formatVersion) is not supported (this build reads \(ChurnModel.currentFormatVersion))")
        }
        try Self.checkNumbers(model)
        self.model = model
        numericCount = model.numeric.count
        categoricalCount = model.categorical.count
        intercept = model.intercept
        means = Self.buffer(model.numeric.map(\.mean), filler: 0)
        invStds = Self.buffer(model.numeric.map { $0.std > 0 ? 1 / $0.std : 1 }, filler: 0)
        medians = Self.buffer(model.numeric.map(\.median), filler: 0)
        coefficients = Self.buffer(model.numeric.map(\.coefficient), filler: 0)
        riskSigns = Self.buffer(model.numeric.map { $0.coefficient > 0 ? 1.0 : ($0.coefficient < 0 ? -1.0 : 0) }, filler: 0)
        categoryCoefficients = Self.buffer(model.categorical.flatMap { $0.categories.map(\.coefficient) }, filler: 0)
        categoryBaselines = Self.buffer(model.categorical.map { f in f.categories.reduce(0) { $0 + $1.frequency * $1.coefficient } }, filler: 0)
        categoryBytes = model.categorical.map { $0.categories.map { Array($0.value.utf8) } }
        let allCategories = categoryBytes.flatMap { $0 }
        categoryText = Self.buffer(allCategories.flatMap { $0 }, filler: 0)
        categoryByteStart = Self.buffer(allCategories.reduce(into: [0]) { $0.append($0.last! + $1.count) }, filler: 0)
        categoryStart = Self.buffer(categoryBytes.reduce(into: [0]) { $0.append($0.last! + $1.count) }, filler: 0)
        categoryWords = Self.buffer(allCategories.flatMap { Self.firstWords($0) }, filler: 0)
        var slotStarts: [Int] = []
        var slots = 0
        for f in model.numeric {
            if let bins = f.bins {
                guard bins.shares.count == bins.edges.count + 1, zip(bins.edges, bins.edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw InvalidModel(description: "numeric feature '\(f.column)': drift bins need increasing edges and one share more than edges")
                }
                slotStarts.append(slots)
                slots += bins.shares.count
            } else {
                slotStarts.append(-1)
            }
        }
        // Each feature's edges padded to an even count with +infinity, which no value is above, so
        // that `countDrift` compares two at a time with no single edge left over.
        let paddedEdges = model.numeric.map { f -> [Double] in
            guard let edges = f.bins?.edges else { return [] }
            return edges.count % 2 == 0 ? edges : edges + [.infinity]
        }
        driftEdges = Self.buffer(paddedEdges.flatMap { $0 }, filler: 0)
        driftEdgeStart = Self.buffer(paddedEdges.reduce(into: [0]) { $0.append($0.last! + $1.count) }, filler: 0)
        driftSlotStart = Self.buffer(slotStarts, filler: -1)
        driftSlotCount = slots
        var names: [String] = []
        var columns: [String] = []
        var directions: [DriverDirection?] = []
        var typical: [DriverValue] = []
        for f in model.numeric {
            let direction = DriverDirection.raisingRisk(coefficient: f.coefficient)
            names.append(direction.map { "\(f.column) \($0.rawValue)" } ?? f.column)
            columns.append(f.column)
            directions.append(direction)
            typical.append(.number(f.median))
        }
        var base: [Int] = []
        for f in model.categorical {
            base.append(names.count)
            names += f.categories.map { "\(f.column)=\($0.value)" }
            columns += f.categories.map { _ in f.column }
            directions += f.categories.map { _ in DriverDirection.is }
            let mode = f.typical
            typical += f.categories.map { _ in DriverValue.text(mode) }
        }
        guard names.count < Int(RowScore.noDriver) else { throw InvalidModel(description: "too many features (\(names.count))") }
        driverNames = names
        driverColumns = columns
        driverDirections = directions
        driverTypical = typical
        categoryDriverBase = Self.buffer(base, filler: 0)
        guard model.thresholds.mediumRisk <= model.thresholds.highRisk else {
            throw InvalidModel(description: "thresholds: mediumRisk (\(model.thresholds.mediumRisk)) is above highRisk (\(model.thresholds.highRisk))")
        }
        mediumRisk = model.thresholds.mediumRisk
        highRisk = model.thresholds.highRisk

        var hf: [Int] = [], hw: [Double] = [], hl: [Double] = [], hs: [Double] = [], hb: [Bool] = []
        for m in model.health.measures {
            guard let j = model.numeric.firstIndex(where: { $0.column == m.column }) else {
                throw InvalidModel(description: "health measure '\(m.column)' is not a numeric feature of the model")
            }
            guard m.weight >= 0, m.weight.isFinite else { throw InvalidModel(description: "health measure '\(m.column)' has a negative weight") }
            hf.append(j); hw.append(m.weight); hl.append(m.low); hs.append(m.high - m.low)
            hb.append(m.direction == .higherIsHealthier)
        }
        healthCount = hf.count
        healthFeature = Self.buffer(hf, filler: 0)
        healthWeight = Self.buffer(hw, filler: 0)
        healthLow = Self.buffer(hl, filler: 0)
        healthSpan = Self.buffer(hs, filler: 0)
        healthInvSpan = Self.buffer(hs.map { $0 > 0 ? 1 / $0 : 0 }, filler: 0)
        healthHigherIsBetter = Self.buffer(hb, filler: false)
        var categoryHealthTable = [Double](repeating: 0, count: max(0, names.count - numericCount))
        var unseenHealth = [Double](repeating: 0, count: categoricalCount)
        var categoricalWeight = 0.0
        for m in model.health.categorical ?? [] {
            guard let f = model.categorical.firstIndex(where: { $0.column == m.column }) else {
                throw InvalidModel(description: "health measure '\(m.column)' is not a categorical feature of the model")
            }
            guard m.weight >= 0, m.weight.isFinite else { throw InvalidModel(description: "health measure '\(m.column)' has a negative weight") }
            for (k, c) in model.categorical[f].categories.enumerated() {
                let score = m.scores.first { $0.value == c.value }?.score ?? m.unseen
                categoryHealthTable[base[f] - numericCount + k] += m.weight * min(100, max(0, score)) / 100
            }
            unseenHealth[f] += m.weight * min(100, max(0, m.unseen)) / 100
            categoricalWeight += m.weight
        }
        categoryHealth = Self.buffer(categoryHealthTable, filler: 0)
        categoryHealthUnseen = Self.buffer(unseenHealth, filler: 0)
        healthWeightSum = hw.reduce(0, +) + categoricalWeight
        if let scale = model.health.scale, scale.high > scale.low {
            healthScaleLow = scale.low
            healthScaleFactor = 100 / (scale.high - scale.low)
        } else {
            healthScaleLow = 0
            healthScaleFactor = 0
        }

        var actions: [String] = [model.interventions.fallback]
        func actionIndex(_ text: String) -> Int {
            if let i = actions.firstIndex(of: text) { return i }
            actions.append(text)
            return actions.count - 1
        }
        var table = [Int32](repeating: -1, count: names.count * 3)
        for rule in model.interventions.rules {
            let minimum = rule.minimumRisk.map { RiskLevel(name: $0) } ?? .medium
            guard let minimum else { throw InvalidModel(description: "intervention rule for '\(rule.driver)': unknown risk level '\(rule.minimumRisk ?? "")'") }
            // `tenure_months low` names the column and the direction, as results files show them.
            var column = rule.driver
            var direction = rule.direction
            for d in [DriverDirection.high, .low] where rule.driver.hasSuffix(" \(d.rawValue)") {
                let stem = String(rule.driver.dropLast(d.rawValue.count + 1))
                if model.numeric.contains(where: { $0.column == stem }) {
                    if let direction, direction != d {
                        throw InvalidModel(description: "intervention rule for '\(rule.driver)': direction '\(direction.rawValue)' contradicts the name")
                    }
                    column = stem
                    direction = d
                }
            }
            // A rule on a categorical column applies to every one of its categories; a rule with a
            // direction only to a numeric driver that raises risk that way.
            let targets = names.indices.filter { i in
                guard columns[i] == column || names[i] == rule.driver else { return false }
                guard let direction, directions[i] != .is else { return true }
                return directions[i] == direction
            }
            let a = Int32(actionIndex(rule.action))
            for d in targets {
                for level in RiskLevel.allCases where level >= minimum && table[d * 3 + Int(level.rawValue)] < 0 {
                    table[d * 3 + Int(level.rawValue)] = a
                }
            }
        }
        fallbackAction = 0
        lowRiskAction = UInt16(actionIndex(model.interventions.lowRiskAction))
        if let hv = model.interventions.highValue {
            guard let level = RiskLevel(name: hv.minimumRisk) else {
                throw InvalidModel(description: "high-value rule: unknown risk level '\(hv.minimumRisk)'")
            }
            highValueMinimum = hv.minimum
            highValueLevel = level
            highValueAction = UInt16(actionIndex(hv.action))
        } else {
            highValueMinimum = .infinity
            highValueLevel = .high
            highValueAction = 0
        }
        actionForDriver = Self.buffer(table, filler: -1)
        self.actions = actions
    }

    /// The slot in `DriftCounts.numericBins` of numeric feature `j`'s value `x`, or -1 when the
    /// feature has no training bins (see `DriftBins.bin(of:edges:)`).
    @inline(__always) public func driftSlot(feature j: Int, value x: Double) -> Int {
        let start = driftSlotStart[j]
        guard start >= 0 else { return -1 }
        var e = driftEdgeStart[j]
        let end = driftEdgeStart[j + 1]
        var b = 0
        while e < end && driftEdges[e] < x {
            e += 1
            b += 1
        }
        return start + b
    }

    /// Counts one scored row's numeric values into their drift bins (`bins` has `driftSlotCount`
    /// slots): one call per row, the loop over features and edges inside.
    @inline(__always) public func countDrift(numeric: UnsafePointer<Double>, into bins: UnsafeMutablePointer<UInt64>) {
        for j in 0..<numericCount {
            let start = driftSlotStart[j]
            guard start >= 0 else { continue }
            // Edges are increasing, so the number below x is the bin: counted as 0/1 sums, without
            // a branch that would mispredict on most rows (perf: a third of the scoring time), two
            // edges a compare (a true lane is all ones, -1, so subtracting counts it). The padding
            // (+infinity) is never below x.
            let x = SIMD2<Double>(repeating: numeric[j])
            var below = SIMD2<Int64>()
            var e = driftEdgeStart[j]
            let end = driftEdgeStart[j + 1]
            while e < end {
                let edges = UnsafeRawPointer(driftEdges + e).loadUnaligned(as: SIMD2<Double>.self)
                below &-= unsafeBitCast(edges .< x, to: SIMD2<Int64>.self)
                e &+= 2
            }
            bins[start &+ Int(below.wrappedSum())] &+= 1
        }
    }

    /// Empty drift counts shaped for this model.
    public func makeDriftCounts() -> DriftCounts {
        DriftCounts(numericBins: [UInt64](repeating: 0, count: driftSlotCount),
                    unseenCategories: [UInt64](repeating: 0, count: categoricalCount))
    }

    /// The imputation value of numeric feature `j` (its training median).
    @inline(__always) public func median(_ j: Int) -> Double { medians[j] }

    /// Scores one customer.
    /// - Parameters:
    ///   - numeric: `numericCount` raw values in model order, blanks already replaced by `median(j)`.
    ///   - categories: `categoricalCount` category indices; -1 for a value unseen in training.
    ///   - revenue: the revenue column's value, or NaN when there is none.
    @inline(__always)
    public func score(numeric: UnsafePointer<Double>, categories: UnsafePointer<Int32>, revenue: Double) -> RowScore {
        var logit = intercept
        var d0: UInt16 = 0xFFFF, d1: UInt16 = 0xFFFF, d2: UInt16 = 0xFFFF  // RowScore.noDriver
        var c0 = 0.0, c1 = 0.0, c2 = 0.0

        // Top three by contribution, only positive ones (c2 starts at 0), kept with selects rather
        // than branches: whether a feature enters the top three is close to a coin toss per row,
        // and a mispredicted branch here cost more than the whole insertion.
        @inline(__always) func offer(_ d: Int, _ c: Double, if eligible: Bool) {
            let above2 = eligible && c > c2, above1 = above2 && c > c1, above0 = above1 && c > c0
            let d16 = UInt16(truncatingIfNeeded: d)
            c2 = above1 ? c1 : (above2 ? c : c2)
            d2 = above1 ? d1 : (above2 ? d16 : d2)
            c1 = above0 ? c0 : (above1 ? c : c1)
            d1 = above0 ? d0 : (above1 ? d16 : d1)
            c0 = above0 ? c : c0
            d0 = above0 ? d16 : d0
        }

        for j in 0..<numericCount {
            let x = numeric[j]
            let c = coefficients[j] * ((x - means[j]) * invStds[j])
            logit += c
            // A driver must also lie beyond the typical (median) value on its risky side, so that
            // "tenure low: 40, typical 29" never happens in a skewed column.
            offer(j, c, if: (x - medians[j]) * riskSigns[j] > 0)
        }
        var categoryWeighted = 0.0
        for f in 0..<categoricalCount {
            let k = Int(categories[f])
            guard k >= 0 else {  // unseen: all-zero one-hot, no contribution
                categoryWeighted += categoryHealthUnseen[f]
                continue
            }
            let d = categoryDriverBase[f] + k
            let coef = categoryCoefficients[d - numericCount]
            logit += coef
            categoryWeighted += categoryHealth[d - numericCount]
            offer(d, coef - categoryBaselines[f], if: true)
        }

        let p = 1 / (1 + Foundation.exp(-logit))
        let riskScore = Int(p * 100 + 0.5)  // p ≥ 0: round half up without a libm call
        let level: RiskLevel = riskScore >= highRisk ? .high : (riskScore >= mediumRisk ? .medium : .low)
        var weighted = categoryWeighted
        for m in 0..<healthCount {
            var t = healthSpan[m] > 0 ? (numeric[healthFeature[m]] - healthLow[m]) * healthInvSpan[m] : 0.5
            t = t < 0 ? 0 : (t > 1 ? 1 : t)
            weighted += healthWeight[m] * (healthHigherIsBetter[m] ? t : 1 - t)
        }
        var healthValue = healthWeightSum > 0 ? 100 * weighted / healthWeightSum : 50
        if healthScaleFactor > 0 {
            healthValue = (healthValue - healthScaleLow) * healthScaleFactor
            healthValue = healthValue < 0 ? 0 : (healthValue > 100 ? 100 : healthValue)
        }
        let health = Int(healthValue + 0.5)

        var action = fallbackAction
        if level == .low {
            action = lowRiskAction
        } else if level >= highValueLevel && revenue >= highValueMinimum {
            action = highValueAction
        } else {
            let lv = Int(level.rawValue)
            @inline(__always) func rule(_ d: UInt16) -> Int32 {
                d == 0xFFFF ? -1 : actionForDriver[Int(d) * 3 + lv]
            }
            let a = rule(d0) >= 0 ? rule(d0) : (rule(d1) >= 0 ? rule(d1) : rule(d2))
            if a >= 0 { action = UInt16(a) }
        }
        return RowScore(probability: p, riskScore: UInt8(riskScore), riskLevel: level, health: UInt8(health),
                        drivers: (d0, d1, d2), impacts: (Float(c0), Float(c1), Float(c2)), intervention: action)
    }

    /// Driver `d` of a scored customer, named and described: the customer's value (from `numeric`,
    /// the values just scored, or the category itself), the typical value and the direction.
    public func driverDetail(_ d: UInt16, impact: Float, numeric: UnsafePointer<Double>) -> DriverImpact {
        let i = Int(d)
        let value: DriverValue = i < numericCount
            ? .number(numeric[i]) : .text(String(driverNames[i].dropFirst(driverColumns[i].count + 1)))
        return DriverImpact(name: driverNames[i], impact: Double(impact), direction: driverDirections[i], value: value,
                            typical: driverTypical[i])
    }

    /// The index of a categorical value by its UTF-8 bytes, or -1 when unseen.
    @inline(__always)
    public func categoryIndex(feature f: Int, bytes: UnsafeRawBufferPointer) -> Int32 {
        let first = categoryStart[f], end = categoryStart[f + 1]
        for k in first..<end {
            let start = categoryByteStart[k]
            let length = categoryByteStart[k + 1] - start
            guard length == bytes.count else { continue }
            if length == 0 || memcmp(categoryText + start, bytes.baseAddress!, length) == 0 { return Int32(k - first) }
        }
        return -1
    }

    /// The same as `categoryIndex(feature:bytes:)`, comparing words instead of calling `memcmp`
    /// when the value is at most 16 bytes and 16 bytes from its start may be read (`readable`: how
    /// many bytes from `bytes.baseAddress` are valid memory; the bytes past the value are ignored).
    /// Inlinable so that it inlines into the scoring loop of another module.
    @inlinable @inline(__always)
    public func categoryIndex(feature f: Int, bytes: UnsafeRawBufferPointer, readable: Int) -> Int32 {
        let n = bytes.count
        guard n <= 16, readable >= 16, let p = bytes.baseAddress else { return categoryIndex(feature: f, bytes: bytes) }
        let mask0: UInt64 = n >= 8 ? ~0 : (1 &<< UInt64(n &* 8)) &- 1
        let mask1: UInt64 = n >= 16 ? ~0 : (n <= 8 ? 0 : (1 &<< UInt64((n &- 8) &* 8)) &- 1)
        let w0 = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) & mask0
        let w1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & mask1
        let first = categoryStart[f], end = categoryStart[f + 1]
        for k in first..<end where categoryWords[2 &* k] == w0 && categoryWords[2 &* k &+ 1] == w1
            && categoryByteStart[k &+ 1] &- categoryByteStart[k] == n {
            return Int32(truncatingIfNeeded: k &- first)
        }
        return -1
    }

    /// A category's first 16 bytes as two little-endian words, zero-padded.
    static func firstWords(_ bytes: [UInt8]) -> [UInt64] {
        var words: [UInt64] = [0, 0]
        for (i, b) in bytes.prefix(16).enumerated() { words[i / 8] |= UInt64(b) << UInt64(8 * (i % 8)) }
        return words
    }

    /// Scores a customer given as column → text, the slow path for tests and small inputs.
    /// Blank numeric values are imputed; an unparsable one throws.
    public func score(record: [String: String]) throws -> RowScore {
        var numeric = [Double](repeating: 0, count: numericCount)
        for (j, f) in model.numeric.enumerated() {
            let text = record[f.column]?.trimmingCharacters(in: .whitespaces) ?? ""
            if text.isEmpty {
                numeric[j] = medians[j]
            } else if let v = NumberParser.parse(text) {
                guard NumericRange.accepts(v) else {
                    throw InvalidModel(description: "column '\(f.column)': " + NumericRange.refusal(text))
                }
                numeric[j] = v
            } else {
                throw InvalidModel(description: "column '\(f.column)': '\(text)' is not a number")
            }
        }
        var cats = [Int32](repeating: -1, count: categoricalCount)
        for (f, feature) in model.categorical.enumerated() {
            let text = (record[feature.column] ?? "").trimmingSpaces
            cats[f] = Int32(feature.categories.firstIndex { $0.value == text } ?? -1)
        }
        let revenue = model.revenueColumn.flatMap { record[$0] }.flatMap(NumericRange.number) ?? .nan
        return numeric.withUnsafeBufferPointer { n in
            cats.withUnsafeBufferPointer { c in score(numeric: n.baseAddress!, categories: c.baseAddress!, revenue: revenue) }
        }
    }
}
