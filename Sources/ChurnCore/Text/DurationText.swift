/// Durations written the way load testers (wrk, ghz) take them: a number with an optional unit
/// (`ms`, `s`, `m`, `h`, `d`): `30s`, `2m`, `500ms`, `90d`. A bare number is in the caller's
/// default unit (seconds for every option today), so older scripts keep working.
public enum DurationText {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
    ]

    /// Seconds in `text`, or nil when it is not a non-negative finite number with a known unit.
    /// - Parameter bareUnitSeconds: what a number without a unit counts in (1 = seconds, 86 400 = days).
    public static func seconds(_ text: String, bareUnitSeconds: Double = 1) -> Double? {
        let trimmed = String(text.lowercased().drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        var number = Substring(trimmed)
        var scale = bareUnitSeconds
        // Units are tried in order, so "ms" wins over "s" and "m".
        if let unit = units.first(where: { trimmed.hasSuffix($0.suffix) }) {
            number = trimmed.dropLast(unit.suffix.count)
            scale = unit.seconds
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
              let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return value * scale
    }

    /// A short human form of `seconds`: `90d`, `2m`, `500ms`, `1.5s`.
    public static func format(_ seconds: Double) -> String {
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds > 0, seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
    }
}
