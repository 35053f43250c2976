import ChurnReport
import ChurnStore
import Foundation

/// The admins' view of the audit log, newest first. Every value is escaped: actors are whatever
/// was typed into the sign-in form.
enum AuditPage {
    static func render(_ entries: [AccountStore.AuditEntry], since: String) -> String {
        var s = "<section class=\"card\"><h2>Audit log</h2><p>Since \(HTML.escape(since)) ago, newest first (\(entries.count) entries). "
        s += "<code>churn audit --since 7d</code> prints the same.</p>"
        s += "<table class=\"audit\"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Detail</th><th>From</th></tr></thead><tbody>"
        for e in entries {
            s += "<tr><td>\(HTML.escape(PageLayout.date(e.at)))</td><td>\(HTML.escape(e.actor))</td><td>\(HTML.escape(e.action))</td>"
            s += "<td>\(HTML.escape(e.detail))</td><td>\(HTML.escape(e.address))</td></tr>"
        }
        return s + "</tbody></table></section>"
    }
}
