import ChurnCore
import ChurnEngine
import ChurnReport
import Foundation

/// A run page's drift warnings: features whose PSI exceeds 0.2, unseen category shares, or why
/// drift was not measured.
enum DriftCard {
    static func render(_ s: RunSummary) -> String {
        guard s.drift != nil || s.driftNote != nil else { return "" }
        var out = "<section class=\"card\" id=\"drift\"><h2>Drift</h2>"
        if let note = s.driftNote { out += "<p id=\"drift-note\">\(HTML.escape(note))</p>" }
        let warnings = s.driftWarnings
        if warnings.isEmpty, let drift = s.drift, let largest = drift.max(by: { $0.psi < $1.psi }) {
            out += "<p id=\"drift-none\">No feature drifted (largest PSI \(String(format: "%.3f", largest.psi)), \(HTML.escape(largest.feature)); warnings start above \(DriftReport.warningPSI)).</p>"
        }
        for w in warnings {
            out += "<p class=\"drift-warning warning\">Drift warning: <strong>\(HTML.escape(w.feature))</strong> has PSI \(String(format: "%.3f", w.psi)) (above \(DriftReport.warningPSI)): its values are distributed unlike the training data; check the scores before acting on them.</p>"
        }
        if let drift = s.drift, !drift.isEmpty {
            out += "<table class=\"data\" id=\"drift-table\"><thead><tr><th>Feature</th><th class=\"num\">PSI</th></tr></thead><tbody>"
            for d in drift.sorted(by: { $0.psi > $1.psi }) {
                out += "<tr\(d.warning ? " class=\"warning\"" : "")><td>\(HTML.escape(d.feature))</td><td class=\"num\">\(String(format: "%.3f", d.psi))</td></tr>"
            }
            out += "</tbody></table>"
        }
        for c in s.unseenCategoryShares ?? [] where c.unseen > 0 {
            out += "<p>Unseen values: \(HTML.escape(c.feature)) in \(String(format: "%.1f", 100 * c.unseenShare))% of rows.</p>"
        }
        return out + "</section>"
    }
}
