import ChurnReport
import Foundation
import Hummingbird
import NIOCore

/// The frame of every dashboard page: header, navigation, the report's stylesheet plus the
/// dashboard's own, and the one script file. No inline script or style attribute needs a nonce;
/// nothing is loaded from outside the server.
enum PageLayout {
    static func page(title: String, active: String, body: String) -> Response {
        let nav = AccountNavigation.links([("/", "Upload", "upload"), ("/runs", "Runs", "runs"), ("/outbox", "Outbox", "outbox"), ("/cluster", "Cluster", "cluster"), ("/models", "Models", "models")], active: active)
        let html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) · churn</title>
            <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
            <link rel="stylesheet" href="/static/report.css">
            <link rel="stylesheet" href="/static/dashboard.css">
            <script src="/static/dashboard.js" defer></script>
            \(AccountNavigation.csrfMeta)
            </head>
            <body>
            <header class="top dash"><div class="brand"><a href="/">churn</a> <span>customer health dashboard</span></div>
            <nav>\(nav)</nav>\(AccountNavigation.signedIn)</header>
            <main>
            \(body)
            </main>
            </body>
            </html>

            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A page that says what was not found (or was wrong), with the right status.
    static func problem(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var r = page(title: "\(status.code)", active: "", body: "<section class=\"card\"><h2>\(status.code) \(HTML.escape(status.reasonPhrase))</h2><p>\(HTML.escape(message))</p><p><a href=\"/\">Back to the dashboard</a></p></section>")
        r.status = status
        return r
    }

    static func date(_ d: Date) -> String { ReportFormat.date(d) }

    /// `<span class="badge high">High</span>` and friends for a run status.
    static func statusBadge(_ s: LiveStatus) -> String {
        "<span class=\"status \(s.rawValue)\">\(s.rawValue)</span>"
    }
}
