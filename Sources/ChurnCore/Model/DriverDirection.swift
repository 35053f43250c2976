/// Which way a driver pushes risk: a numeric value above (`high`) or below (`low`) the typical
/// customer's, or a category the customer is in (`is`).
///
/// For a numeric feature the direction is fixed by the sign of its coefficient: a positive
/// coefficient raises risk only when the value is above the mean, a negative one only below it.
public enum DriverDirection: String, Codable, Sendable, CaseIterable {
    case high
    case low
    case `is`

    /// The direction in which a numeric feature with this coefficient raises risk (nil for 0).
    public static func raisingRisk(coefficient: Double) -> DriverDirection? {
        coefficient > 0 ? .high : (coefficient < 0 ? .low : nil)
    }
}
