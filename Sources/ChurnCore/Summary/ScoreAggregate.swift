import Foundation

/// A row that could not be scored: its line in the input file (the header is line 1) and why.
public struct RejectedRow: Codable, Equatable, Sendable {
    public var line: UInt64
    public var reason: String
    public init(line: UInt64, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// A driver of churn by name, with its contribution to the log-odds and, when known, the customer's
/// value, the typical (training median or most frequent) value and the direction that raises risk.
public struct DriverImpact: Codable, Equatable, Sendable {
    /// `column high`, `column low` (numeric) or `column=value` (category).
    public var name: String
    public var impact: Double
    /// `high`, `low` or `is`; nil in records made before directions existed.
    public var direction: DriverDirection?
    public var value: DriverValue?
    public var typical: DriverValue?
    public init(name: String, impact: Double, direction: DriverDirection? = nil, value: DriverValue? = nil,
                typical: DriverValue? = nil) {
        self.name = name
        self.impact = impact
        self.direction = direction
        self.value = value
        self.typical = typical
    }

    /// The factor by which a log-odds impact multiplies the odds of churn, capped for people:
    /// "×2.2", "×14", "×100+" (a linear model's extreme values give factors in the millions,
    /// which mean nothing more than "very strong").
    public static func oddsFactor(_ impact: Double) -> String {
        let f = Foundation.exp(impact)
        guard f < 100 else { return "×100+" }
        if f < 10 { return "×" + String(format: "%.1f", f) }
        return "×" + String(Int(f.rounded()))
    }

    /// The feature's column: the name without its direction or category value.
    public var column: String {
        if let eq = name.firstIndex(of: "=") { return String(name[..<eq]) }
        for suffix in [" high", " low"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }
}

/// One of the riskiest customers, with everything a customer-success lead needs to act.
public struct RankedCustomer: Codable, Equatable, Sendable {
    public var line: UInt64
    public var id: String
    public var email: String
    /// The revenue column's value; nil when the model has no revenue column (or the cell was blank).
    public var revenue: Double?
    public var probability: Double
    public var riskScore: Int
    public var riskLevel: String
    public var health: Int
    public var drivers: [DriverImpact]
    public var intervention: String
    public var rankKey: Double

    public init(line: UInt64, id: String, email: String, revenue: Double?, probability: Double, riskScore: Int,
                riskLevel: String, health: Int, drivers: [DriverImpact], intervention: String, rankKey: Double) {
        self.line = line
        self.id = id
        self.email = email
        self.revenue = revenue
        self.probability = probability
        self.riskScore = riskScore
        self.riskLevel = riskLevel
        self.health = health
        self.drivers = drivers
        self.intervention = intervention
        self.rankKey = rankKey
    }

    /// Ranking order: larger key first; equal keys in input order.
    @inline(__always)
    public static func ranksBefore(_ aKey: Double, _ aLine: UInt64, _ bKey: Double, _ bLine: UInt64) -> Bool {
        aKey > bKey || (aKey == bKey && aLine < bLine)
    }
}

/// The mergeable summary of scoring some rows: counts, distributions, revenue, the top K riskiest and
/// the rejected rows. Shards' aggregates merge exactly (integer sums; revenue in cents), so the merged
/// result does not depend on how the input was split.
public struct ScoreAggregate: Codable, Equatable, Sendable {
    public static let healthBins = 10
    public static let defaultRejectedLimit = 1000

    public var rowsScored: UInt64 = 0
    public var rowsRejected: UInt64 = 0
    /// Ten bins of health: 0–9, 10–19, …, 90–100 (100 falls in the last bin, 0 in the first).
    public var healthHistogram: [UInt64] = Array(repeating: 0, count: ScoreAggregate.healthBins)
    /// Customers per risk level: Low, Medium, High.
    public var riskCounts: [UInt64] = [0, 0, 0]
    public var revenueCents: Int64 = 0
    /// Revenue of customers at High risk.
    public var highRiskRevenueCents: Int64 = 0
    /// Σ probability × revenue: the revenue expected to be lost.
    public var expectedLossCents: Int64 = 0
    /// Blank numeric cells replaced by the training median.
    public var imputedCells: UInt64 = 0
    /// Categorical values not seen in training (scored as the all-zero one-hot).
    public var unseenCategories: UInt64 = 0
    /// The riskiest customers, best first, at most `topLimit`.
    public var top: [RankedCustomer] = []
    public var topLimit: Int
    /// Rejected rows in line order, at most `rejectedLimit` kept (all are counted).
    public var rejected: [RejectedRow] = []
    public var rejectedLimit: Int
    /// Drift counts (bins of numeric features, unseen values per categorical feature); nil when
    /// the scorer did not count them.
    public var drift: DriftCounts?

    public init(topLimit: Int, rejectedLimit: Int = ScoreAggregate.defaultRejectedLimit) {
        self.topLimit = topLimit
        self.rejectedLimit = rejectedLimit
    }

    /// Health histogram bin of a 0–100 health score.
    @inline(__always) public static func healthBin(_ health: UInt8) -> Int { min(Int(health) / 10, healthBins - 1) }

    /// Revenue in whole cents, rounded half away from zero; non-finite counts as 0.
    ///
    /// Called three times a row, so without `rounded()`'s libm call: below 2^62 in size, the
    /// conversion to Int64 truncates exactly and the fraction left is exact too (for 2^52 and
    /// more there is none), so adding or taking one at ±0.5 gives `rounded()`'s result.
    @inline(__always) public static func cents(_ value: Double) -> Int64 {
        let x = value * 100
        guard x.magnitude < 0x1p62 else { return value.isFinite ? Int64(x.rounded()) : 0 }
        let whole = Int64(x)
        let fraction = x - Double(whole)
        return whole &+ (fraction >= 0.5 ? 1 : 0) &- (fraction <= -0.5 ? 1 : 0)
    }

    /// Counts one scored row (not the top list; see `wouldEnterTop` / `insertTop`).
    @inline(__always)
    public mutating func count(_ s: RowScore, revenue: Double) {
        rowsScored &+= 1
        healthHistogram[Self.healthBin(s.health)] &+= 1
        riskCounts[Int(s.riskLevel.rawValue)] &+= 1
        if revenue.isFinite {
            revenueCents &+= Self.cents(revenue)
            if s.riskLevel == .high { highRiskRevenueCents &+= Self.cents(revenue) }
            expectedLossCents &+= Self.cents(s.probability * revenue)
        }
    }

    /// Counts `rows` rejected rows (a poison shard's whole line range is one report) and keeps the report.
    public mutating func reject(_ row: RejectedRow, rows: UInt64 = 1) {
        rowsRejected &+= rows
        if rejected.count < rejectedLimit { rejected.append(row) }
    }

    /// Whether a row with this key and line would enter the top list.
    @inline(__always)
    public func wouldEnterTop(key: Double, line: UInt64) -> Bool {
        guard topLimit > 0 else { return false }
        if top.count < topLimit { return true }
        let last = top[top.count - 1]
        return RankedCustomer.ranksBefore(key, line, last.rankKey, last.line)
    }

    /// Inserts a customer into the top list at its rank, dropping the one that falls off.
    public mutating func insertTop(_ c: RankedCustomer) {
        guard wouldEnterTop(key: c.rankKey, line: c.line) else { return }
        var i = top.count
        while i > 0 && RankedCustomer.ranksBefore(c.rankKey, c.line, top[i - 1].rankKey, top[i - 1].line) { i -= 1 }
        top.insert(c, at: i)
        if top.count > topLimit { top.removeLast() }
    }

    /// Adds another aggregate (any order of merging gives the same result).
    public mutating func merge(_ other: ScoreAggregate) {
        rowsScored &+= other.rowsScored
        rowsRejected &+= other.rowsRejected
        for i in 0..<Self.healthBins { healthHistogram[i] &+= other.healthHistogram[i] }
        for i in 0..<3 { riskCounts[i] &+= other.riskCounts[i] }
        revenueCents &+= other.revenueCents
        highRiskRevenueCents &+= other.highRiskRevenueCents
        expectedLossCents &+= other.expectedLossCents
        imputedCells &+= other.imputedCells
        unseenCategories &+= other.unseenCategories
        for c in other.top { insertTop(c) }
        if let d = other.drift {
            if drift == nil { drift = d } else { drift!.merge(d) }
        }
        if !other.rejected.isEmpty {
            rejected = (rejected + other.rejected).sorted { $0.line < $1.line }
            if rejected.count > rejectedLimit { rejected.removeLast(rejected.count - rejectedLimit) }
        }
    }
}
