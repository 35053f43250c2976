import ChurnCore
import ChurnReport
import ChurnStore
import Foundation

/// `/runs/{id}/customers`: the run's whole scored table, a page at a time from the store, with
/// risk filter, health range, intervention, category values, sort and id search as plain GET forms.
enum CustomersPage {
    static func render(run: RunView, query: CustomerTable.Query, page: CustomerTable.Page, interventions: [String]) -> String {
        var s = "<section class=\"card\" id=\"customers\"><h2>Customers of run <a href=\"/runs/\(run.id)\">\(run.id)</a>: \(HTML.escape(run.inputName))</h2>"
        s += "<form method=\"get\" class=\"filters\" id=\"customer-filters\">"
        s += "<label>Risk <select name=\"risk\"><option value=\"\">all</option>"
        for (value, label) in [("high", "High"), ("medium", "Medium"), ("low", "Low"), ("high,medium", "High and Medium")] {
            let selected = query.levels.map { Set(value.split(separator: ",").compactMap { RiskLevel(name: String($0)) }) == $0 } ?? false
            s += "<option value=\"\(value)\"\(selected ? " selected" : "")>\(label)</option>"
        }
        s += "</select></label><label>Sort <select name=\"sort\">"
        for (value, label) in [("input", "file order"), ("risk", "riskiest first"), ("-risk", "safest first")] {
            s += "<option value=\"\(value)\"\(query.sort == value ? " selected" : "")>\(label)</option>"
        }
        s += "</select></label><label>Customer id <input type=\"search\" name=\"q\" value=\"\(HTML.escape(query.search ?? ""))\"></label>"
        s += "<label>Health from <input type=\"number\" name=\"health_min\" min=\"0\" max=\"100\" value=\"\(query.healthMin.map(String.init) ?? "")\"></label>"
        s += "<label>to <input type=\"number\" name=\"health_max\" min=\"0\" max=\"100\" value=\"\(query.healthMax.map(String.init) ?? "")\"></label>"
        s += "<label>Action <select name=\"intervention\"><option value=\"\">all</option>"
        for action in interventions {
            s += "<option value=\"\(HTML.escape(action))\"\(query.intervention == action ? " selected" : "")>\(HTML.escape(action))</option>"
        }
        s += "</select></label>"
        for feature in page.categories {
            let wanted = query.categories[feature.feature]
            s += "<label>\(HTML.escape(feature.feature)) <select name=\"\(HTML.escape(CustomerTable.categoryPrefix + feature.feature))\" class=\"category-filter\">"
            s += "<option value=\"\">all</option>"
            for choice in feature.choices {
                s += "<option value=\"\(HTML.escape(choice))\"\(wanted == choice ? " selected" : "")>\(HTML.escape(choice))</option>"
            }
            s += "</select></label>"
        }
        s += "<label>Per page <input type=\"number\" name=\"limit\" min=\"1\" max=\"500\" value=\"\(query.limit)\"></label>"
        s += "<button type=\"submit\">Apply</button></form>"
        if page.categories.isEmpty {
            s += "<p class=\"hint\" id=\"no-categories\">Category filters are not available for this run: it has no category data "
            s += "(its model has no categorical features, or it was recorded before this version).</p>"
        }
        if let total = page.total {
            let first = page.rows.isEmpty ? 0 : query.offset + 1
            s += "<p class=\"hint\" id=\"page-range\">\(ReportFormat.integer(first))–\(ReportFormat.integer(query.offset + page.rows.count)) of \(ReportFormat.integer(total)) customers</p>"
        }
        s += "<table id=\"customer-table\"><thead><tr><th class=\"num\">Line</th><th>Customer</th><th class=\"num\">Churn prob.</th><th>Risk</th>"
        s += "<th class=\"num\">Health</th><th>Top drivers</th><th>Suggested action</th>"
        for feature in page.categories { s += "<th class=\"category\">\(HTML.escape(feature.feature))</th>" }
        s += "</tr></thead><tbody>\n"
        for c in page.rows {
            s += "<tr><td class=\"num\">\(c.line)</td><td><a href=\"/customers/\(RunPage.pathEscape(c.customerId))\">\(HTML.escape(c.customerId))</a></td>"
            s += "<td class=\"num\">\(String(format: "%.4f", c.probability))</td><td><span class=\"badge \(c.riskLevel.name)\">\(c.riskLevel.name)</span></td>"
            s += "<td class=\"num\">\(c.health)</td><td>\(HTMLReport.drivers(c.drivers))</td><td>\(HTML.escape(c.intervention))</td>"
            for v in c.categoryValues { s += "<td class=\"category\" data-feature=\"\(HTML.escape(v.feature))\">\(HTML.escape(v.value))</td>" }
            s += "</tr>\n"
        }
        s += "</tbody></table><p class=\"pager\">"
        if query.offset > 0 { s += "<a href=\"\(link(run.id, query, offset: max(0, query.offset - query.limit)))\">← Previous</a> " }
        if let next = page.nextCursor, let n = Int(next) { s += "<a id=\"next-page\" href=\"\(link(run.id, query, offset: n))\">Next →</a>" }
        return s + "</p></section>\n"
    }

    static func link(_ runId: Int64, _ q: CustomerTable.Query, offset: Int) -> String {
        var parts = ["sort=\(q.sort)", "limit=\(q.limit)", "cursor=\(offset)"]
        if let levels = q.levels { parts.append("risk=" + levels.sorted(by: >).map { $0.name.lowercased() }.joined(separator: ",")) }
        if let search = q.search { parts.append("q=" + (search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
        if let n = q.healthMin { parts.append("health_min=\(n)") }
        if let n = q.healthMax { parts.append("health_max=\(n)") }
        if let action = q.intervention { parts.append("intervention=" + (action.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
        for (feature, value) in q.categories.sorted(by: { $0.key < $1.key }) {
            parts.append((CustomerTable.categoryPrefix + feature).addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "="
                + (value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return HTML.escape("/runs/\(runId)/customers?" + parts.joined(separator: "&"))
    }
}
