import Foundation

/// Generates realistic synthetic customers with the seed's columns plus `email`.
///
/// Features share latent factors (disengagement, support trouble, billing trouble), so they
/// correlate as real ones do; the churn label is drawn from a noisy model with interactions
/// (a usage drop hurts new customers more; escalations matter more with many tickets) and 2% label
/// noise, so a model has something real, but not trivial, to learn. Rows are generated in blocks
/// from per-block seeds: the output depends only on the seed and row count, not on thread count.
public struct SyntheticCustomers: Sendable {
    public static let header = "customer_id,email,segment,region,avg_daily_usage,usage_drop_pct,open_tickets,failed_payments,days_since_last_login,tenure_months,mrr,recent_support_escalations,payment_streak"
    public static let blockRows = 16_384

    public var seed: UInt64
    public var withLabel: Bool

    public init(seed: UInt64, withLabel: Bool = true) {
        self.seed = seed
        self.withLabel = withLabel
    }

    public var headerLine: String { Self.header + (withLabel ? ",churn_label\n" : "\n") }

    /// Appends rows `[first, first + count)` as CSV.
    public func appendRows(first: Int, count: Int, to out: inout [UInt8]) {
        var rng = SplitMix64(seed: seed ^ (UInt64(first / Self.blockRows) &* 0x9E37_79B9_7F4A_7C15) ^ 0x5EED)
        // Rows of a block share one stream; a block is always generated whole from its start.
        precondition(first % Self.blockRows == 0)
        for i in first..<(first + count) { appendRow(i, rng: &rng, to: &out) }
    }

    private static let segments: [[UInt8]] = ["enterprise", "mid-market", "small-business"].map { Array($0.utf8) }
    private static let regions: [[UInt8]] = ["north", "south", "east", "west"].map { Array($0.utf8) }

    private func appendRow(_ index: Int, rng: inout SplitMix64, to out: inout [UInt8]) {
        let n = index + 1
        let u = rng.uniform()
        let segment = u < 0.2 ? 0 : (u < 0.55 ? 1 : 2)
        let region = Int(rng.next() % 4)
        let disengaged = rng.normal()
        let supportTrouble = rng.normal()
        let billingTrouble = rng.normal()

        let tenure = min(120, 1 + Int(-Foundation.log(max(rng.uniform(), 1e-12)) * [36.0, 24, 14][segment]))
        let baseUsage = [140.0, 65, 22][segment]
        let usage = max(0.5, baseUsage * Foundation.exp(0.35 * rng.normal() - 0.25 * disengaged))
        let drop = min(95, max(0, 12 + 11 * disengaged + 7 * rng.normal()))
        let daysSinceLogin = max(0, Int(2 + 4 * Foundation.exp(0.55 * disengaged + 0.45 * rng.normal())))
        let tickets = rng.poisson(0.7 + 1.3 * max(0, supportTrouble + 0.3))
        let escalations = rng.poisson(0.12 * Double(tickets) + 0.1 * max(0, supportTrouble))
        let failed = rng.poisson(0.15 + 0.6 * max(0, billingTrouble))
        let streak = failed > 0 ? Int(rng.uniform() * Double(min(tenure, 6))) : min(tenure, Int(Double(tenure) * (0.5 + 0.5 * rng.uniform())) + 1)
        let mrr = [4200.0, 950, 160][segment] * Foundation.exp(0.45 * rng.normal())

        var logit = -2.3
        logit += 0.075 * (drop - 12)
        logit += 0.62 * Double(tickets)
        logit += 0.95 * Double(failed)
        logit += 0.09 * Double(daysSinceLogin - 5)
        logit -= 0.035 * Double(min(tenure, 60))
        logit += 0.55 * Double(escalations) + 0.12 * Double(escalations * tickets)
        logit -= 0.05 * Double(streak)
        logit -= 0.45 * Foundation.log(usage / baseUsage)
        logit += tenure < 6 ? 0.025 * drop : 0
        logit += [-0.6, 0.0, 0.45][segment]
        let p = 1 / (1 + Foundation.exp(-2.4 * logit))
        var churned = rng.uniform() < p
        if rng.uniform() < 0.02 { churned.toggle() }

        // customer_id,email,segment,region,…
        out.append(0x43)  // C
        appendPadded(n, width: 8, to: &out)
        out.append(0x2C)
        out.append(contentsOf: "c".utf8)
        appendPadded(n, width: 8, to: &out)
        out.append(contentsOf: "@example.com,".utf8)
        out.append(contentsOf: Self.segments[segment])
        out.append(0x2C)
        out.append(contentsOf: Self.regions[region])
        out.append(0x2C)
        DecimalText.appendFixed(usage, decimals: 1, to: &out)
        out.append(0x2C)
        DecimalText.appendFixed(drop, decimals: 1, to: &out)
        out.append(0x2C)
        DecimalText.appendInt(tickets, to: &out)
        out.append(0x2C)
        DecimalText.appendInt(failed, to: &out)
        out.append(0x2C)
        DecimalText.appendInt(daysSinceLogin, to: &out)
        out.append(0x2C)
        DecimalText.appendInt(tenure, to: &out)
        out.append(0x2C)
        DecimalText.appendFixed(mrr, decimals: 2, to: &out)
        out.append(0x2C)
        DecimalText.appendInt(escalations, to: &out)
        out.append(0x2C)
        DecimalText.appendInt(streak, to: &out)
        if withLabel {
            out.append(0x2C)
            out.append(churned ? 0x31 : 0x30)
        }
        out.append(0x0A)
    }

    private func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits = [UInt8](repeating: 0x30, count: width)
        var v = value
        var i = width - 1
        while v > 0 && i >= 0 {
            digits[i] = 0x30 + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        if v > 0 { out.append(contentsOf: String(value).utf8) } else { out.append(contentsOf: digits) }
    }
}

/// SplitMix64: a small, fast, well-mixed generator; good enough for synthetic data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300)
        let u2 = uniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }

    /// Poisson by Knuth's method (small means only).
    public mutating func poisson(_ mean: Double) -> Int {
        let limit = Foundation.exp(-mean)
        var k = 0
        var p = uniform()
        while p > limit && k < 50 {
            k += 1
            p *= uniform()
        }
        return k
    }
}
