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
