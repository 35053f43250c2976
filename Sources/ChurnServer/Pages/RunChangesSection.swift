import ChurnReport
import ChurnStore
import Foundation

/// The run page's "Changes since the previous run" card: the store's `ScoreChanges` against the
/// previous succeeded run of the same input (newly High, improved, worsened, by how much, the
/// largest moves).
enum RunChangesSection {
    static func render(_ changes: ScoreChanges?) -> String {
        var s = "<section class=\"card\" id=\"changes\"><h2>Changes since the previous run</h2>"
        guard let c = changes else {
            return s + "<p class=\"empty-note\">No earlier run of this input: no changes to show.</p></section>\n"
        }
        s += "<p class=\"hint\">Against <a href=\"/runs/\(c.previousRunId)\">run \(c.previousRunId)</a>: "
        s += "\(ReportFormat.integer(c.matched)) customers in both runs, \(ReportFormat.integer(c.added)) new. "
        s += "Changes are in churn probability points.</p>"
        s += "<table class=\"compact\" id=\"changes-table\"><tbody>"
        s += "<tr><th>Newly High risk</th><td class=\"num\" id=\"changes-newly-high\">\(ReportFormat.integer(c.newlyHigh))</td><td></td></tr>"
        s += "<tr><th>Improved</th><td class=\"num\" id=\"changes-improved\">\(ReportFormat.integer(c.improved))</td>"
        s += "<td class=\"num\">mean \(points(c.meanImprovement))</td></tr>"
        s += "<tr><th>Worsened</th><td class=\"num\" id=\"changes-worsened\">\(ReportFormat.integer(c.worsened))</td>"
        s += "<td class=\"num\">mean \(points(c.meanWorsening))</td></tr>"
        s += "<tr><th>All in both runs</th><td class=\"num\">\(ReportFormat.integer(c.matched))</td>"
        s += "<td class=\"num\">mean \(points(c.meanChange))</td></tr></tbody></table>"
        guard !c.topMovers.isEmpty else { return s + "<p class=\"empty-note\">No customer's score moved.</p></section>\n" }
        s += "<h3>Largest moves</h3><table class=\"compact\" id=\"movers-table\"><thead><tr><th>Customer</th>"
        s += "<th class=\"num\">Before</th><th class=\"num\">Now</th><th class=\"num\">Change</th></tr></thead><tbody>"
        for m in c.topMovers {
            s += "<tr><td><a href=\"/customers/\(RunPage.pathEscape(m.customerId))\">\(HTML.escape(m.customerId))</a></td>"
            s += "<td class=\"num\">\(String(format: "%.4f", m.previousProbability))</td><td class=\"num\">\(String(format: "%.4f", m.probability))</td>"
            s += "<td class=\"num\">\(points(m.change))</td></tr>"
        }
        return s + "</tbody></table></section>\n"
    }

    /// A probability change in points, signed: +12.3, −4.0.
    static func points(_ change: Double) -> String {
        let p = change * 100
        return p > 0 ? String(format: "+%.1f", p) : p < 0 ? String(format: "−%.1f", -p) : "0.0"
    }
}
