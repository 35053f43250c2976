import ChurnCore
import ChurnReport
import ChurnStore
import Foundation

/// `/customers/{id}`: the current score, drivers and intervention, score and health across runs,
/// the drafted offers, and the "Create retention offer" modal (editable subject and body).
enum CustomerPage {
    static func render(id: String, history: [CustomerScore], offers: [OutboxMessage], canDeliver: Bool,
                       sender: RetentionOffer.Sender = .init()) -> String {
        guard let c = history.first else { return "" }
        var s = "<section class=\"card\" id=\"customer\" data-customer=\"\(HTML.escape(id))\">"
        s += "<h2>Customer <span class=\"id\">\(HTML.escape(id))</span> <span class=\"badge \(c.riskLevel.name)\">\(c.riskLevel.name)</span></h2>"
        s += "<p class=\"hint\">Latest score from run <a href=\"/runs/\(c.runId)\">\(c.runId)</a> (\(HTML.escape(c.inputName)), line \(c.line), \(PageLayout.date(c.runStartedAt))).</p>"
        s += "<div class=\"kpis small\">"
        s += "<div class=\"kpi\"><div class=\"label\">Churn probability</div><div class=\"value\" id=\"customer-probability\">\(ReportFormat.percent(c.probability))</div></div>"
        s += "<div class=\"kpi\"><div class=\"label\">Risk score</div><div class=\"value\">\(c.riskScore)</div></div>"
        s += "<div class=\"kpi\"><div class=\"label\">Health</div><div class=\"value\">\(c.health)</div></div></div>"
        s += "<h3>What drives the risk</h3>\(HTMLReport.drivers(c.drivers))"
        s += "<h3>Suggested action</h3><p id=\"customer-intervention\">\(HTML.escape(c.intervention))</p>"
        s += "<p><button type=\"button\" id=\"open-offer\">Create retention offer</button></p></section>\n"

        let runs = Array(history.reversed())
        s += "<section class=\"card\" id=\"customer-history\"><h2>Across runs</h2><div class=\"trends\">"
        s += Sparkline.card("Risk score", runs.map { Double($0.riskScore) }, labels: runs.map { "run \($0.runId)" })
        s += Sparkline.card("Health", runs.map { Double($0.health) }, labels: runs.map { "run \($0.runId)" })
        s += "</div><table class=\"compact\"><thead><tr><th class=\"num\">Run</th><th>Input</th><th>Date</th><th class=\"num\">Churn prob.</th><th>Risk</th><th class=\"num\">Health</th></tr></thead><tbody>"
        for h in history {
            s += "<tr><td class=\"num\"><a href=\"/runs/\(h.runId)\">\(h.runId)</a></td><td>\(HTML.escape(h.inputName))</td><td>\(PageLayout.date(h.runStartedAt))</td>"
            s += "<td class=\"num\">\(String(format: "%.4f", h.probability))</td><td><span class=\"badge \(h.riskLevel.name)\">\(h.riskLevel.name)</span></td><td class=\"num\">\(h.health)</td></tr>"
        }
        s += "</tbody></table></section>\n"

        s += "<section class=\"card\" id=\"offers\"><h2>Offers</h2>"
        if offers.isEmpty {
            s += "<p class=\"empty-note\" id=\"no-offers\">No offer drafted yet.</p>"
        } else {
            s += "<ul class=\"offers\">"
            for o in offers {
                s += "<li><b>\(HTML.escape(o.subject))</b> <span class=\"status \(o.status.rawValue)\">\(o.status.rawValue)</span>"
                s += " <span class=\"muted\">run \(o.runId), \(HTML.escape(o.recipient ?? "no e-mail address")), \(PageLayout.date(o.updatedAt))\(o.reason.map { ": " + HTML.escape($0) } ?? "")</span></li>"
            }
            s += "</ul>"
        }
        s += "</section>\n"

        let draft = RetentionOffer.draft(for: ranked(c), sender: sender)
        s += """
            <dialog id="offer-modal">
            <form id="offer-form" method="dialog">
            <h2>Retention offer for \(HTML.escape(id))</h2>
            <label>Subject <input type="text" id="offer-subject" name="subject" value="\(HTML.escape(draft.subject))" required maxlength="500"></label>
            <label>Body <textarea id="offer-body" name="body" rows="14">\(HTML.escape(draft.body))</textarea></label>
            <p class="hint">Goes through the <a href="/outbox">outbox</a> to the address in the customer's latest run, with an unsubscribe link below the text; never twice for the same run.\(canDeliver ? "" : " No SMTP server is configured: sent offers wait in the queue for <code>churn offers deliver</code>.")</p>
            <p class="error" id="offer-error" hidden></p>
            <div class="modal-buttons"><button type="button" id="offer-cancel">Close</button> <button type="submit" id="offer-save" value="draft">Save draft</button> <button type="submit" id="offer-send" value="send">Send</button></div>
            </form>
            </dialog>

            """
        return s
    }

    /// The stored score in the shape the offer drafter reads (no e-mail or revenue in the history).
    static func ranked(_ c: CustomerScore) -> RankedCustomer {
        RankedCustomer(line: c.line, id: c.customerId, email: "", revenue: 0, probability: c.probability, riskScore: c.riskScore,
                       riskLevel: c.riskLevel.name, health: c.health, drivers: c.drivers, intervention: c.intervention, rankKey: 0)
    }
}
