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
    ]
}
