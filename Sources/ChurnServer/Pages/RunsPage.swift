import ChurnEngine
import ChurnReport
import Foundation

/// `/runs`: every run with status, input, model, rows and duration; trend charts of one input's runs.
enum RunsPage {
    static func table(_ runs: [RunView]) -> String {
        guard !runs.isEmpty else { return "<p class=\"empty-note\">No runs yet: upload a file above, or run <code>churn score</code> with this data directory's history.</p>\n" }
        var s = "<table class=\"runs\"><thead><tr><th class=\"num\">Run</th><th>Status</th><th>Input</th><th>Started</th>"
        s += "<th class=\"num\">Rows</th><th class=\"num\">Duration</th><th>Model</th></tr></thead><tbody>\n"
        for r in runs {
            let duration = r.finishedAt.map { ReportFormat.duration($0.timeIntervalSince(r.startedAt)) } ?? "–"
            s += "<tr data-run=\"\(r.id)\"><td class=\"num\"><a href=\"/runs/\(r.id)\">\(r.id)</a></td><td>\(PageLayout.statusBadge(r.status))</td>"
            s += "<td>\(HTML.escape(r.inputName)) <span class=\"muted\">\(ReportFormat.bytes(r.inputBytes))</span></td>"
            s += "<td>\(PageLayout.date(r.startedAt))</td><td class=\"num\">\(ReportFormat.integer(r.rowsScored))</td>"
            s += "<td class=\"num\">\(duration)</td><td><code>\(HTML.escape(String((r.modelHash ?? "").prefix(12))))</code></td></tr>\n"
        }
        return s + "</tbody></table>\n"
    }

    static func render(_ runs: [RunView], input: String?) -> String {
        var s = "<section class=\"card\"><h2>Runs</h2><p class=\"hint\">Every run in this data directory's history, newest first.</p>\n"
        s += table(runs) + "</section>\n"
        let inputs = Array(Set(runs.filter { $0.status == .succeeded }.map(\.inputName))).sorted()
        guard let chosen = input ?? inputs.first else { return s }
        let series = runs.filter { $0.inputName == chosen && $0.status == .succeeded }.reversed()
        let points: [(Int64, RunSummary)] = series.compactMap { r in
            guard let data = r.summaryJSON, let sum = try? JSONDecoder().decode(RunSummary.self, from: data) else { return nil }
            return (r.id, sum)
        }
        s += "<section class=\"card\" id=\"trends\"><h2>Trends of \(HTML.escape(chosen))</h2>"
        s += "<form method=\"get\" action=\"/runs\" class=\"inline\"><label>Input <select name=\"input\">"
        for name in inputs { s += "<option\(name == chosen ? " selected" : "")>\(HTML.escape(name))</option>" }
        s += "</select></label> <button type=\"submit\">Show</button></form>"
        guard points.count >= 1 else { return s + "<p class=\"empty-note\">No succeeded run of this input yet.</p></section>\n" }
        s += "<div class=\"trends\">"
        s += Sparkline.card("High-risk customers", points.map { Double($0.1.riskDistribution.high) }, labels: points.map { "run \($0.0)" })
        if points.allSatisfy({ $0.1.revenue != nil }) {
            s += Sparkline.card("Revenue at High risk", points.map { $0.1.revenue?.atHighRisk ?? 0 }, labels: points.map { "run \($0.0)" },
                                format: { ReportFormat.money($0, symbol: "$") })
        }
        s += Sparkline.card("Mean health", points.map { meanHealth($0.1) }, labels: points.map { "run \($0.0)" })
        return s + "</div></section>\n"
    }

    /// The mean health from the histogram's bin middles (the summary keeps bins, not every score).
    static func meanHealth(_ s: RunSummary) -> Double {
        let total = s.healthHistogram.reduce(0) { $0 + $1.count }
        guard total > 0 else { return 0 }
        return s.healthHistogram.reduce(0.0) { $0 + Double($1.count) * Double($1.from + $1.to) / 2 } / Double(total)
    }
}
