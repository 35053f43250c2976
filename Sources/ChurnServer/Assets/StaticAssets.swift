import ChurnReport

/// The dashboard's static files, served under `/static/`. Kept in the binary so that an installed
/// `churn` needs nothing beside it; the report's stylesheet is the report's own.
enum StaticAssets {
    struct Asset {
        var type: String
        var text: String
    }

    static let all: [String: Asset] = [
        "report.css": Asset(type: "text/css; charset=utf-8", text: ReportStylesheet.css),
        "dashboard.css": Asset(type: "text/css; charset=utf-8", text: DashboardStylesheet.css),
        "dashboard.js": Asset(type: "text/javascript; charset=utf-8", text: DashboardScript.source),
        "favicon.svg": Asset(type: "image/svg+xml", text: """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1f4e79"/>\
            <rect x="7" y="17" width="5" height="9" fill="#6aa343"/><rect x="14" y="11" width="5" height="15" fill="#eeac33"/>\
            <rect x="21" y="6" width="5" height="20" fill="#c0392b"/></svg>
            """),
    ]
}
