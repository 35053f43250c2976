import ChurnCore
import Foundation

/// The summary a person reads after a run: counts, the health and risk distributions as small text
/// charts, revenue, the riskiest customers with drivers and interventions, and skipped rows.
public enum SummaryText {
    public static func render(_ s: RunSummary, maxRejectedShown: Int = 10) -> String {
        var out = ""
        let total = s.rowsScored
        out += "Scored \(grouped(total)) customers from \(s.input) in \(String(format: "%.2f", s.seconds)) s"
        out += " (\(grouped(UInt64(s.rowsPerSecond))) rows/s, \(String(format: "%.0f", s.megabytesPerSecond)) MB/s, \(s.engine))\n"
        if s.rowsRejected > 0 { out += "Skipped \(grouped(s.rowsRejected)) bad row\(s.rowsRejected == 1 ? "" : "s") (listed below)\n" }
        if s.imputedCells > 0 { out += "Filled \(grouped(s.imputedCells)) blank numeric cells with the training median\n" }
        if s.unseenCategories > 0 { out += "Met \(grouped(s.unseenCategories)) category values not seen in training (scored as neutral)\n" }
        out += driftText(s)

        out += "\nHealth distribution (0 = critical, 100 = healthy)\n"
        let maxBin = s.healthHistogram.map(\.count).max() ?? 0
        for bin in s.healthHistogram {
            let label = "\(bin.from)–\(bin.to)".padding(toLength: 7, withPad: " ", startingAt: 0)
            out += "  \(label) \(bar(bin.count, of: maxBin, width: 40)) \(grouped(bin.count))\n"
        }

        out += "\nRisk distribution\n"
        let levels: [(String, UInt64)] = [("High", s.riskDistribution.high), ("Medium", s.riskDistribution.medium), ("Low", s.riskDistribution.low)]
        for (name, count) in levels {
            let share = total > 0 ? 100 * Double(count) / Double(total) : 0
            out += "  \(name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(bar(count, of: total, width: 40)) \(String(format: "%5.1f%%", share))  \(grouped(count))\n"
        }

        if let r = s.revenue {
            let symbol = s.currencySymbol
            out += "\nRevenue (\(r.column)): total \(money(r.total, symbol)), at High risk \(money(r.atHighRisk, symbol)), "
                + "expected loss \(money(r.expectedLoss, symbol))\n"
        }

        if !s.top.isEmpty {
            let ranking = ["combined": "combined risk & health", "risk": "churn probability", "revenue": "expected revenue lost"][s.rankBy] ?? s.rankBy
            out += "\nTop \(s.top.count) riskiest customers (by \(ranking))\n"
            out += "  #   customer         churn  risk    health  drivers (customer's value, typical value, churn odds)  intervention\n"
            for (i, c) in s.top.enumerated() {
                let rank = String(i + 1).padding(toLength: 3, withPad: " ", startingAt: 0)
                let id = (c.id.count > 16 ? String(c.id.prefix(15)) + "…" : c.id).padding(toLength: 16, withPad: " ", startingAt: 0)
                let prob = String(format: "%5.1f%%", 100 * c.probability)
                let level = c.riskLevel.padding(toLength: 6, withPad: " ", startingAt: 0)
                let health = String(c.health).padding(toLength: 6, withPad: " ", startingAt: 0)
                let drivers = c.drivers.map(driverText).joined(separator: "; ")
                let isNew = s.newlyHighRisk?.contains(c.id) == true ? " [NEW High]" : ""
                out += "  \(rank) \(id) \(prob)  \(level)  \(health)  \(drivers.padding(toLength: max(50, drivers.count), withPad: " ", startingAt: 0))  \(c.intervention)\(isNew)\n"
            }
        }
        if let newly = s.newlyHighRisk, !newly.isEmpty {
            out += "\n\(grouped(UInt64(newly.count))) customer\(newly.count == 1 ? " is" : "s are") newly at High risk since the previous run of this input: \(newly.prefix(10).joined(separator: ", "))\(newly.count > 10 ? ", …" : "")\n"
        }
        if !s.rejected.isEmpty {
            out += "\nSkipped rows (line: reason)\n"
            for r in s.rejected.prefix(maxRejectedShown) { out += "  \(s.input):\(r.line): \(r.reason)\n" }
            if s.rowsRejected > UInt64(min(maxRejectedShown, s.rejected.count)) {
                out += "  … and \(grouped(s.rowsRejected - UInt64(min(maxRejectedShown, s.rejected.count)))) more (all in --summary-json up to \(ScoreAggregate.defaultRejectedLimit))\n"
            }
        }
        out += "\nResults: \(s.output)\n"
        // Ids, cells quoted in reasons and file names come from the input: no raw control characters.
        return TerminalText.escaped(out)
    }

    /// "MonthlyCharges low: 25.2, typical 70.35, odds ×2.2"; "Contract=Month-to-month, odds ×1.9".
    /// Drift warnings (PSI above 0.2), unseen category shares, or why drift was not measured.
    public static func driftText(_ s: RunSummary) -> String {
        var out = ""
        if let note = s.driftNote { out += "Drift: \(note)\n" }
        for d in s.driftWarnings {
            out += "Drift warning: \(d.feature) has PSI \(String(format: "%.3f", d.psi)) (above \(DriftReport.warningPSI)): "
                + "its values are distributed unlike the training data; check the scores before acting on them\n"
        }
        if let drift = s.drift, !drift.isEmpty, s.driftWarnings.isEmpty {
            let largest = drift.max { $0.psi < $1.psi }!
            out += "Drift: none above \(DriftReport.warningPSI) (largest PSI \(String(format: "%.3f", largest.psi)), \(largest.feature))\n"
        }
        for c in s.unseenCategoryShares ?? [] where c.unseen > 0 {
            out += "Unseen values: \(c.feature) in \(String(format: "%.1f", 100 * c.unseenShare))% of rows\n"
        }
        return out
    }

    public static func driverText(_ d: DriverImpact) -> String {
        var text = d.name
        if d.direction != .is, let value = d.value {
            text += ": \(value)"
            if let typical = d.typical { text += ", typical \(typical)" }
        }
        return text + ", odds " + DriverImpact.oddsFactor(d.impact)
    }

    static func bar(_ value: UInt64, of maximum: UInt64, width: Int) -> String {
        guard maximum > 0 else { return String(repeating: " ", count: width) }
        let eighths = Int((Double(value) / Double(maximum) * Double(width * 8)).rounded())
        let blocks = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        var s = String(repeating: "█", count: eighths / 8) + blocks[eighths % 8]
        if value > 0 && s.isEmpty { s = "▏" }
        return s + String(repeating: " ", count: max(0, width - s.count))
    }

    /// 1234567 → "1,234,567".
    public static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }

    static func money(_ value: Double, _ symbol: String) -> String {
        let whole = UInt64(max(0, value.rounded()))
        return symbol + grouped(whole)
    }
}
