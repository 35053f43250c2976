import ChurnCore
import ChurnEngine
import ChurnReport
import ChurnStore
import Foundation

/// `/runs/{id}`: key figures, the health histogram and risk pie (the report's chart code), the
/// riskiest customers with drivers and interventions, newly-High customers, rejected rows, downloads.
/// While the run is running: live progress, and the page reloads when it ends.
enum RunPage {
    static func render(_ run: RunView, top requested: Int?, changes: ScoreChanges? = nil) -> String {
        var s = "<section class=\"card run-head\" id=\"run\" data-run=\"\(run.id)\" data-status=\"\(run.status.rawValue)\">"
        s += "<h2>Run \(run.id): \(HTML.escape(run.inputName)) \(PageLayout.statusBadge(run.status))</h2>"
        s += "<p class=\"hint\">Started \(PageLayout.date(run.startedAt))"
        if let f = run.finishedAt { s += ", finished \(PageLayout.date(f)) (\(ReportFormat.duration(f.timeIntervalSince(run.startedAt))))" }
        s += " · \(ReportFormat.bytes(run.inputBytes))</p>"
        if run.status == .running {
            s += """
                <div id="progress" class="progress"><div class="bar-line"><span id="progress-phase">Scoring</span> <span id="progress-text"></span></div>
                <progress id="progress-bar" max="1" value="\(run.fraction)"></progress>
                <div class="live"><span>Rows <b id="live-rows">\(ReportFormat.integer(run.rowsScored))</b></span>\
                <span>Rows/s <b id="live-rate">–</b></span><span>Workers <b id="live-workers">\(run.workers)</b></span></div>
                <p id="progress-error" class="error" hidden></p></div>
                <p><button type="button" id="cancel-run" data-run="\(run.id)">Cancel this run</button></p>
                """
        }
        if let error = run.error, run.status != .succeeded {
            s += "<p class=\"error\" id=\"run-error\">\(HTML.escape(error))</p>"
        }
        s += "</section>\n"
        guard run.status == .succeeded, let data = run.summaryJSON,
              let summary = try? JSONDecoder().decode(RunSummary.self, from: data) else { return s }

        s += downloads(run)
        s += kpis(summary)
        s += """
            <section class="charts">
            <div class="card" id="health-chart"><h2>Health distribution</h2>\(HealthChart.svg(summary.healthHistogram.map(\.count)))</div>
            <div class="card" id="risk-chart"><h2>Risk levels</h2><div class="pie-wrap">\(RiskPie.svg(risk(summary)))\(RiskPie.legend(risk(summary)))</div></div>
            </section>

            """
        s += DriftCard.render(summary)
        s += topTable(summary, run: run, shown: requested)
        s += newlyHigh(summary)
        s += RunChangesSection.render(changes)
        s += rejected(summary)
        return s
    }

    static func risk(_ s: RunSummary) -> [UInt64] { [s.riskDistribution.low, s.riskDistribution.medium, s.riskDistribution.high] }

    static func downloads(_ run: RunView) -> String {
        var s = "<section class=\"card downloads\"><h2>Downloads and more</h2><p>"
        s += "<a class=\"button\" href=\"/runs/\(run.id)/customers\">All customers</a> "
        if run.resultsPath != nil { s += "<a class=\"button\" id=\"download-csv\" href=\"/api/v1/runs/\(run.id)/results.csv\">Results CSV</a> " }
        s += "<a class=\"button\" href=\"/api/v1/runs/\(run.id)/summary.json\">Summary JSON</a> "
        if run.reportPath != nil { s += "<a class=\"button\" href=\"/api/v1/runs/\(run.id)/report.html\">HTML report</a> " }
        s += "<button type=\"button\" id=\"refresh-run\" data-run=\"\(run.id)\">Refresh: score this input again</button>"
        s += "<span class=\"error\" id=\"refresh-error\" hidden></span>"
        return s + "</p></section>\n"
    }

    static func kpis(_ s: RunSummary) -> String {
        func tile(_ label: String, _ value: String, _ id: String) -> String {
            "<div class=\"kpi\" id=\"kpi-\(id)\"><div class=\"label\">\(label)</div><div class=\"value\">\(value)</div></div>"
        }
        let symbol = s.currencySymbol
        var t = "<section class=\"kpis\">"
        t += tile("Customers", ReportFormat.integer(s.rowsScored), "customers")
        t += tile("Rejected rows", ReportFormat.integer(s.rowsRejected), "rejected")
        t += tile("High risk", ReportFormat.integer(s.riskDistribution.high), "high")
        // Without a revenue column in the model there are no money figures, as in the report.
        if let revenue = s.revenue {
            t += tile("Revenue", ReportFormat.money(revenue.total, symbol: symbol), "revenue")
            t += tile("Revenue at High risk", ReportFormat.money(revenue.atHighRisk, symbol: symbol), "revenue-high")
            t += tile("Expected loss", ReportFormat.money(revenue.expectedLoss, symbol: symbol), "expected-loss")
        }
        return t + "</section>\n"
    }

    static func topTable(_ s: RunSummary, run: RunView, shown requested: Int?) -> String {
        let n = min(requested ?? min(10, s.top.count), s.top.count)
        var t = "<section class=\"card\" id=\"top\"><h2>Top \(n) riskiest customers</h2>"
        t += "<p class=\"hint\">Ranked by \(HTML.escape(rankWords(s.rankBy))). Show "
        for choice in [5, 10, 25, 50, 100] where choice <= max(s.top.count, 5) {
            t += choice == n ? "<b>\(choice)</b> " : "<a href=\"/runs/\(run.id)?top=\(choice)\">\(choice)</a> "
        }
        t += "(the run kept \(s.top.count)).</p>"
        // Another ranking means scoring again (the run kept only its own top list): a new run.
        t += "<p class=\"rerank\"><label>Rank by <select id=\"rerank-by\">"
        for (value, label) in [("combined", "risk and health"), ("risk", "probability"), ("revenue", "revenue at risk")]
        where value != "revenue" || s.revenue != nil {
            t += "<option value=\"\(value)\"\(value == s.rankBy ? " selected" : "")>\(label)</option>"
        }
        t += "</select></label> <button type=\"button\" id=\"rerank\" data-run=\"\(run.id)\" data-top=\"\(s.top.count)\">Score again with this ranking</button></p>"
        guard n > 0 else { return t + "<p class=\"empty-note\">No customers to list.</p></section>\n" }
        t += "<table id=\"top-table\"><thead><tr><th class=\"num\">#</th><th>Customer</th><th class=\"num\">Churn prob.</th><th>Risk</th>"
        t += "<th class=\"num\">Health</th><th>Top drivers</th><th>Suggested action</th></tr></thead><tbody>\n"
        for (i, c) in s.top.prefix(n).enumerated() {
            let level = RiskLevel(name: c.riskLevel) ?? .low
            t += "<tr class=\"top-row\" data-id=\"\(HTML.escape(c.id))\"><td class=\"num\">\(i + 1)</td>"
            t += "<td><a class=\"customer-link\" href=\"/customers/\(pathEscape(c.id))\">\(HTML.escape(c.id))</a></td>"
            t += "<td class=\"num prob\">\(String(format: "%.4f", c.probability))</td>"
            t += "<td><span class=\"badge \(level.name)\">\(level.name)</span></td><td class=\"num\">\(c.health)</td>"
            t += "<td>\(HTMLReport.drivers(c.drivers))</td><td>\(HTML.escape(c.intervention))</td></tr>\n"
        }
        return t + "</tbody></table></section>\n"
    }

    static func newlyHigh(_ s: RunSummary) -> String {
        var t = "<section class=\"card\" id=\"newly-high\"><h2>Newly at High risk</h2>"
        guard let ids = s.newlyHighRisk else {
            return t + "<p class=\"empty-note\">No earlier run of this input to compare with.</p></section>\n"
        }
        guard !ids.isEmpty else { return t + "<p class=\"empty-note\">Nobody moved to High risk since the previous run.</p></section>\n" }
        t += "<p class=\"hint\">\(ReportFormat.integer(ids.count)) customers at High risk who were not in the previous run of this input.</p><p class=\"ids\">"
        t += ids.prefix(200).map { "<a href=\"/customers/\(pathEscape($0))\">\(HTML.escape($0))</a>" }.joined(separator: " ")
        return t + "</p></section>\n"
    }

    static func rejected(_ s: RunSummary) -> String {
        var t = "<section class=\"card\" id=\"rejected\"><h2>Rejected rows</h2>"
        guard s.rowsRejected > 0 else { return t + "<p class=\"empty-note\">No rows were rejected.</p></section>\n" }
        t += "<p class=\"hint\">\(ReportFormat.integer(s.rowsRejected)) rows could not be scored. Line numbers count the header as line 1.</p>"
        t += "<table class=\"compact\"><thead><tr><th class=\"num\">Line</th><th>Reason</th></tr></thead><tbody>"
        for r in s.rejected.prefix(100) { t += "<tr><td class=\"num\">\(r.line)</td><td>\(HTML.escape(r.reason))</td></tr>" }
        return t + "</tbody></table></section>\n"
    }

    static func rankWords(_ rank: String) -> String {
        switch rank {
        case "risk": return "churn probability"
        case "revenue": return "expected revenue lost (probability × revenue)"
        default: return "risk and health combined"
        }
    }

    /// A customer id as one URL path segment.
    static func pathEscape(_ id: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
    }
}
