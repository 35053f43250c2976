import Foundation

/// Locale-independent number, money, size and time formatting, so a report reads the same on
/// every machine.
public enum ReportFormat {
    /// 1234567 → "1,234,567".
    public static func integer<T: BinaryInteger>(_ value: T) -> String {
        let negative = value < 0
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return negative ? "−" + out : out
    }

    /// Short counts for chart labels: 950, 12.3k, 1.23M.
    public static func compact<T: BinaryInteger>(_ value: T) -> String {
        let v = Double(value)
        if v.magnitude < 10_000 { return integer(value) }
        if v.magnitude < 1_000_000 { return trimmed(v / 1000, digits: v.magnitude < 100_000 ? 1 : 0) + "k" }
        if v.magnitude < 1_000_000_000 { return trimmed(v / 1_000_000, digits: v.magnitude < 10_000_000 ? 2 : 1) + "M" }
        return trimmed(v / 1_000_000_000, digits: 2) + "B"
    }

    /// Fixed decimals without a trailing ".0".
    public static func trimmed(_ v: Double, digits: Int) -> String {
        var s = String(format: "%.\(digits)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// Cents as money: "$1,234,567" (whole units) or "$1,234.50".
    public static func money(cents: Int64, symbol: String, showCents: Bool = false) -> String {
        let negative = cents < 0
        let magnitude = cents.magnitude
        var text: String
        if showCents {
            let fraction = magnitude % 100
            text = symbol + integer(magnitude / 100) + "." + (fraction < 10 ? "0" : "") + String(fraction)
        } else {
            text = symbol + integer((magnitude + 50) / 100)
        }
        if negative { text = "−" + text }
        return text
    }

    /// A revenue value as money with cents.
    public static func money(_ value: Double, symbol: String) -> String {
        money(cents: value.isFinite ? Int64((value * 100).rounded()) : 0, symbol: symbol, showCents: true)
    }

    /// A 0–1 share as "12.3%"; very small non-zero shares as "<0.1%".
    public static func percent(_ share: Double, digits: Int = 1) -> String {
        guard share.isFinite else { return "–" }
        let smallest = pow(10, -Double(digits)) / 100
        if share > 0 && share < smallest { return "<" + String(format: "%.\(digits)f", smallest * 100) + "%" }
        return String(format: "%.\(digits)f", share * 100) + "%"
    }

    /// 1536 → "1.5 KiB".
    public static func bytes(_ n: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n)
        var u = 0
        while v >= 1024 && u < units.count - 1 {
            v /= 1024
            u += 1
        }
        return u == 0 ? "\(integer(n)) bytes" : String(format: "%.1f %@", v, units[u]) + " (\(integer(n)) bytes)"
    }

    /// 0.42 → "0.42 s", 75 → "1 min 15 s".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 10 { return String(format: "%.2f s", seconds) }
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let total = Int(seconds.rounded())
        if total < 3600 { return "\(total / 60) min \(total % 60) s" }
        return "\(total / 3600) h \((total % 3600) / 60) min"
    }

    /// Rows per second: "1.25M rows/s".
    public static func rate(_ rowsPerSecond: Double) -> String {
        guard rowsPerSecond.isFinite, rowsPerSecond >= 0 else { return "–" }
        return compact(Int64(rowsPerSecond.rounded())) + " rows/s"
    }

    /// "2025-03-01 14:05 UTC".
    public static func date(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: date)
    }

    /// An ISO-8601 time from a model file, shown like `date`; other text unchanged.
    public static func isoDate(_ text: String) -> String {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: text) { return date(d) }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return date(d) }
        return text
    }

    /// A metric in 0…1 with three decimals, or "n/a" when undefined.
    public static func metric(_ v: Double) -> String {
        v.isFinite ? String(format: "%.3f", v) : "n/a"
    }

    /// Shares of `counts` as percentages with `digits` decimals that add up to exactly 100 (largest
    /// remainder), so that a legend never reads 99.9% or 100.1%. All zero when the total is zero.
    public static func roundedPercentages(_ counts: [UInt64], digits: Int = 1) -> [Double] {
        let total = counts.reduce(0, +)
        guard total > 0 else { return counts.map { _ in 0 } }
        let scale = pow(10, Double(digits))
        let units = 100 * scale
        let exact = counts.map { Double($0) / Double(total) * units }
        var floors = exact.map { $0.rounded(.down) }
        var missing = Int((units - floors.reduce(0, +)).rounded())
        let order = exact.indices.sorted { (exact[$0] - floors[$0]) > (exact[$1] - floors[$1]) }
        for i in order where missing > 0 {
            floors[i] += 1
            missing -= 1
        }
        return floors.map { $0 / scale }
    }
}
