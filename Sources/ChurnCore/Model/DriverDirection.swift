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

/// A driver's value or typical value: a number for a numeric feature, text for a category.
/// Encodes as a bare JSON number or string.
public enum DriverValue: Codable, Equatable, Sendable, CustomStringConvertible {
    case number(Double)
    case text(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Double.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .number(let n): try c.encode(n)
        case .text(let t): try c.encode(t)
        }
    }

    /// A number with at most two decimals and no trailing zeros ("25.2", "72"); text as is.
    public var description: String {
        switch self {
        case .text(let t): return t
        case .number(let n):
            guard n.isFinite else { return String(n) }
            let rounded = (n * 100).rounded() / 100
            if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
            var s = String(rounded)
            if s.contains("e") { return s }
            while s.hasSuffix("0") { s.removeLast() }
            return s
        }
    }
}
