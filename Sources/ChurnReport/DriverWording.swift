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

    /// A driver with its direction and values: "Monthly charges low: 25.2 (typical 70.35)",
    /// "Contract: Month-to-month (typical Month-to-month)".
    public static func label(_ d: DriverImpact) -> String {
        guard let value = d.value else { return label(d.name) }
        let typical = d.typical.map { " (typical \($0))" } ?? ""
        if d.direction == .is { return label(d.name) + typical }
        return label(d.name) + ": \(value)" + typical
    }

    /// One sentence: "Open tickets high: 6 (typical 1): strong (churn odds ×2.7)".
    public static func sentence(_ d: DriverImpact) -> String {
        "\(label(d)): \(strength(d.impact)) (churn odds \(DriverImpact.oddsFactor(d.impact)))"
    }
}
