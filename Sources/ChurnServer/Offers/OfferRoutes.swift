import ChurnMail
import ChurnReport
import ChurnStore
import Foundation
import Hummingbird
import NIOCore

/// The outbox page and API, and the unsubscribe page. Sending offers is an analyst's action; the
/// unsubscribe page is for customers and needs no account (its token is the proof).
struct OfferRoutes {
    let dashboard: Dashboard

    func register(on router: Router<DashboardContext>) {
        let desk = dashboard.offerDesk
        router.get("/outbox") { request, _ in
            let status = request.uri.queryParameters.get("status").flatMap(OutboxStatus.init(rawValue:))
            let o = try desk.outbox()
            return PageLayout.page(title: "Outbox", active: "outbox",
                                   body: OutboxPage.render(try o.list(status: status, limit: 500), counts: try o.counts(), status: status,
                                                           canDeliver: desk.canDeliver))
        }
        router.get("/api/v1/outbox") { request, _ in
            let text = request.uri.queryParameters.get("status")
            let status = text.flatMap(OutboxStatus.init(rawValue:))
            if let text, status == nil { throw HTTPError(.badRequest, message: "status '\(text)': expected one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", "))") }
            return APIRoutes.json(try RunJSON.data(try desk.outbox().list(status: status, limit: 1000).map(OutboxPage.json)))
        }
        router.get("/unsubscribe") { request, _ in
            let token = request.uri.queryParameters.get("token") ?? ""
            guard let who = try desk.verify(token: token) else { return UnsubscribePage.invalid() }
            let done = try desk.outbox().isOptedOut(email: who.email)
            return UnsubscribePage.render(email: who.email, token: token, done: done)
        }
        // The confirmation form, and mail clients' one-click unsubscribe (RFC 8058), post here.
        router.post("/unsubscribe") { request, _ in
            let token = request.uri.queryParameters.get("token") ?? ""
            guard let who = try desk.verify(token: token) else { return UnsubscribePage.invalid() }
            try desk.outbox().optOut(email: who.email, customerId: who.customerId)
            return UnsubscribePage.render(email: who.email, token: token, done: true)
        }
    }
}

/// `/outbox`: every offer with its status, newest first, filterable by status.
enum OutboxPage {
    static func render(_ messages: [OutboxMessage], counts: [OutboxStatus: Int], status: OutboxStatus?, canDeliver: Bool) -> String {
        var s = "<section class=\"card\" id=\"outbox\"><h2>Outbox</h2>"
        s += canDeliver ? "<p class=\"hint\">Queued offers are delivered by this server.</p>"
            : "<p class=\"hint\">No SMTP server is configured (<code>churn serve --smtp … --from …</code>): queued offers wait for <code>churn offers deliver</code>.</p>"
        s += "<p class=\"filters\">"
        s += "<a href=\"/outbox\"\(status == nil ? " class=\"active\"" : "")>all (\(counts.values.reduce(0, +)))</a> "
        for st in OutboxStatus.allCases {
            s += "<a href=\"/outbox?status=\(st.rawValue)\" id=\"outbox-\(st.rawValue)\"\(status == st ? " class=\"active\"" : "")>\(st.rawValue) (\(counts[st] ?? 0))</a> "
        }
        s += "</p>"
        if messages.isEmpty {
            s += "<p class=\"empty-note\">No offer\(status.map { " is \($0.rawValue)" } ?? " yet").</p></section>"
            return s
        }
        s += "<table class=\"compact\"><thead><tr><th class=\"num\">#</th><th>Customer</th><th class=\"num\">Run</th><th>Recipient</th><th>Subject</th><th>Status</th><th class=\"num\">Tries</th><th>Reason</th><th>Updated</th></tr></thead><tbody>"
        for m in messages {
            s += "<tr data-offer=\"\(m.id)\"><td class=\"num\">\(m.id)</td>"
            s += "<td><a href=\"/customers/\(m.customerId.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? "")\">\(HTML.escape(m.customerId))</a></td>"
            s += "<td class=\"num\"><a href=\"/runs/\(m.runId)\">\(m.runId)</a></td><td>\(HTML.escape(m.recipient ?? "no e-mail address"))</td>"
            s += "<td>\(HTML.escape(m.subject))</td><td><span class=\"status \(m.status.rawValue)\">\(m.status.rawValue)</span></td>"
            s += "<td class=\"num\">\(m.attempts)</td><td>\(HTML.escape(m.reason ?? ""))</td><td>\(PageLayout.date(m.updatedAt))</td></tr>"
        }
        s += "</tbody></table></section>"
        return s
    }

    static func json(_ m: OutboxMessage) -> [String: Any] {
        var o: [String: Any] = ["id": m.id, "customerId": m.customerId, "runId": m.runId, "template": m.template, "subject": m.subject,
                                "messageId": m.messageId, "status": m.status.rawValue, "attempts": m.attempts,
                                "createdAt": RunJSON.iso(m.createdAt), "updatedAt": RunJSON.iso(m.updatedAt)]
        if let r = m.recipient { o["recipient"] = r }
        if let r = m.reason { o["reason"] = r }
        if let t = m.sentAt { o["sentAt"] = RunJSON.iso(t) }
        return o
    }
}

/// `/unsubscribe?token=…`: asks to confirm (a GET never changes anything, so link scanners cannot
/// unsubscribe anyone), then records the opt-out.
enum UnsubscribePage {
    static func render(email: String, token: String, done: Bool) -> Response {
        let body: String
        if done {
            body = "<section class=\"card\" id=\"unsubscribed\"><h2>Unsubscribed</h2><p><b>\(HTML.escape(email))</b> will receive no more offers from us.</p></section>"
        } else {
            body = """
                <section class="card" id="unsubscribe"><h2>Unsubscribe</h2>
                <p>Stop sending offers to <b>\(HTML.escape(email))</b>?</p>
                <form method="post" action="/unsubscribe?token=\(HTML.escape(token))"><button type="submit" id="unsubscribe-confirm">Unsubscribe</button></form>
                </section>
                """
        }
        return PageLayout.page(title: "Unsubscribe", active: "", body: body)
    }

    static func invalid() -> Response {
        PageLayout.problem(.badRequest, "This unsubscribe link is not valid. Please use the link from the e-mail as it is.")
    }
}
