/// The score of one customer: what the model says and what to do about it.
///
/// Fixed-size and allocation-free so that millions can be produced per second; names of drivers and
/// interventions are indices into the `CompiledModel`'s tables.
public struct RowScore: Equatable, Sendable {
    /// Marks an absent driver slot.
    public static let noDriver: UInt16 = .max

    public var probability: Double
    /// round(100 × probability).
    public var riskScore: UInt8
    public var riskLevel: RiskLevel
    /// 0–100 from the health scorecard.
    public var health: UInt8
    /// Up to three drivers, strongest first, as indices into `CompiledModel.driverNames`.
    public var drivers: (UInt16, UInt16, UInt16)
    /// Each driver's contribution to the log-odds of churn (always positive).
    public var impacts: (Float, Float, Float)
    /// Index into `CompiledModel.actions`.
    public var intervention: UInt16

    public init() {
        probability = 0
        riskScore = 0
        riskLevel = .low
        health = 0
        drivers = (Self.noDriver, Self.noDriver, Self.noDriver)
        impacts = (0, 0, 0)
        intervention = 0
    }

    public init(probability: Double, riskScore: UInt8, riskLevel: RiskLevel, health: UInt8,
                drivers: (UInt16, UInt16, UInt16), impacts: (Float, Float, Float), intervention: UInt16) {
        self.probability = probability
        self.riskScore = riskScore
        self.riskLevel = riskLevel
        self.health = health
        self.drivers = drivers
        self.impacts = impacts
        self.intervention = intervention
    }

    public static func == (a: RowScore, b: RowScore) -> Bool {
        a.probability == b.probability && a.riskScore == b.riskScore && a.riskLevel == b.riskLevel
            && a.health == b.health && a.drivers == b.drivers && a.impacts == b.impacts
            && a.intervention == b.intervention
    }

    /// The driver slots as an array, absent ones left out.
    public var driverList: [(index: UInt16, impact: Float)] {
        var out: [(UInt16, Float)] = []
        if drivers.0 != Self.noDriver { out.append((drivers.0, impacts.0)) }
        if drivers.1 != Self.noDriver { out.append((drivers.1, impacts.1)) }
        if drivers.2 != Self.noDriver { out.append((drivers.2, impacts.2)) }
        return out
    }
}

/// How the "top N riskiest" list is ordered.
public enum RankBy: String, Codable, CaseIterable, Sendable {
    /// Mean of the risk score (100 × probability) and the health deficit (100 − health): customers both
    /// likely to leave and unhealthy by the scorecard come first.
    case combined
    /// Churn probability alone.
    case risk
    /// Expected revenue lost: probability × revenue.
    case revenue

    /// The ranking key of a customer; larger ranks first.
    @inline(__always)
    public func key(probability: Double, health: UInt8, revenue: Double) -> Double {
        switch self {
        case .combined: return (100 * probability + (100 - Double(health))) / 2
        case .risk: return probability
        case .revenue: return probability * (revenue.isFinite ? revenue : 0)
        }
    }
}
