import ChurnCore
import Foundation

/// Driver names and impacts in words a customer-success lead reads without a statistics course.
public enum DriverWording {
    private static let acronyms: Set<String> = ["mrr", "arr", "nps", "csat", "id", "sla", "api", "qbr", "ltv"]

    /// `usage_drop_pct` → "Usage drop %", `segment=small-business` → "Segment: small-business".
    public static func label(_ name: String) -> String {
        if let eq = name.firstIndex(of: "=") {
            return label(String(name[..<eq])) + ": " + String(name[name.index(after: eq)...])
        }
        let words = name.split(whereSeparator: { $0 == "_" || $0 == " " }).map { word -> String in
            let w = word.lowercased()
            if w == "pct" || w == "percent" { return "%" }
            if acronyms.contains(w) { return w.uppercased() }
            return String(word)
        }
        guard var first = words.first else { return name }
        if first == first.lowercased() { first = first.prefix(1).uppercased() + first.dropFirst() }
        return ([first] + words.dropFirst()).joined(separator: " ")
    }

    /// How strongly a driver (a log-odds contribution) pushes towards churn.
    public static func strength(_ impact: Double) -> String {
        if impact >= 1.0 { return "strong" }
        if impact >= 0.4 { return "moderate" }
        return "mild"
    }

    /// The factor by which the driver multiplies the odds of churn: "×2.7".
    public static func oddsFactor(_ impact: Double) -> String {
        let f = Foundation.exp(impact)
        guard f.isFinite else { return "×∞" }
        return "×" + (f < 10 ? String(format: "%.1f", f) : String(format: "%.0f", f))
    }

    /// One sentence: "Open tickets: strong (churn odds ×2.7)".
    public static func sentence(_ d: DriverImpact) -> String {
        "\(label(d.name)): \(strength(d.impact)) (churn odds \(oddsFactor(d.impact)))"
    }
}
