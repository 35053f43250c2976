/// Low / Medium / High, from the 0–100 risk score and the model's cut points.
public enum RiskLevel: UInt8, Codable, CaseIterable, Sendable, Comparable {
    case low = 0
    case medium = 1
    case high = 2

    public var name: String {
        switch self {
        case .low: return "Low"
        case .medium: return "Medium"
        case .high: return "High"
        }
    }

    public init?(name: String) {
        switch name.lowercased() {
        case "low": self = .low
        case "medium": self = .medium
        case "high": self = .high
        default: return nil
        }
    }

    public static func < (lhs: RiskLevel, rhs: RiskLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The level for a risk score under the given cut points.
    public static func forScore(_ score: Int, thresholds: RiskThresholds) -> RiskLevel {
        if score >= thresholds.highRisk { return .high }
        if score >= thresholds.mediumRisk { return .medium }
        return .low
    }
}
