import ChurnCoordinator
import ChurnCore
import ChurnReport
import ChurnStore
import Foundation

/// The models page: the registry's versions with promote and roll back, one version's metrics,
/// ROC curve, calibration, coefficients and health scorecard, and the retrain form; and the page
/// of a retrain's outcome, champion and challenger side by side.
enum ModelsPage {
    static func render(versions: [ModelRegistry.Version], shown: ModelRegistry.Version?, model: ChurnModel?, history: [Int],
                       inUse: String, message: String?) -> String {
        var s = "<section class=\"card\" id=\"models\"><h1>Models</h1>"
        if let message { s += "<p class=\"notice\" id=\"models-message\">\(HTML.escape(message))</p>" }
        s += "<p>The server scores with <strong id=\"model-in-use\">\(HTML.escape(inUse))</strong>."
        if history.count >= 2 {
            s += " <form class=\"inline\" method=\"post\" action=\"/models/rollback\">\(AccountNavigation.csrfField)<button type=\"submit\" id=\"rollback\">Roll back to version \(history[history.count - 2])</button></form>"
        }
        s += "</p>"
        guard !versions.isEmpty else {
            return s + "<p id=\"no-models\">No model is registered. Register one with <code>churn train … --register --db DATA-DIR/history.sqlite</code>, or retrain below.</p></section>" + retrainForm(label: nil)
        }
        s += "<table class=\"data\" id=\"model-versions\"><thead><tr><th>Version</th><th>Hash</th><th>Registered</th><th>Training data</th><th class=\"num\">Rows</th><th>Metrics on</th><th class=\"num\">ROC AUC</th><th class=\"num\">Log loss</th><th></th></tr></thead><tbody>"
        for v in versions.reversed() {
            s += "<tr id=\"version-\(v.version)\"\(v.champion ? " class=\"champion\"" : "")>"
            s += "<td><a href=\"/models/\(v.version)\">v\(v.version)</a>\(v.champion ? " <span class=\"badge champion-badge\">champion</span>" : "")</td>"
            s += "<td><code>\(v.hash.prefix(12))</code></td><td>\(PageLayout.date(v.registeredAt))</td><td>\(HTML.escape(v.trainingFile))</td>"
            s += "<td class=\"num\">\(v.trainingRows)</td><td>\(HTML.escape(v.metricsKind))</td>"
            s += "<td class=\"num\">\(String(format: "%.4f", v.metrics.auc))</td><td class=\"num\">\(String(format: "%.4f", v.metrics.logLoss))</td>"
            s += v.champion ? "<td></td>" : "<td><form class=\"inline\" method=\"post\" action=\"/models/\(v.version)/promote\">\(AccountNavigation.csrfField)<button type=\"submit\" class=\"promote\">Promote</button></form></td>"
            s += "</tr>"
        }
        s += "</tbody></table></section>"
        if let shown, let model { s += detail(shown, model: model) }
        return s + retrainForm(label: model?.label.column)
    }

    /// Metrics, charts and the scorecard of one version.
    static func detail(_ v: ModelRegistry.Version, model: ChurnModel) -> String {
        let m = v.metrics
        var s = "<section class=\"card\" id=\"model-detail\"><h2>Version \(v.version)\(v.champion ? " (champion)" : "")</h2>"
        s += "<p>Trained \(HTML.escape(v.trainedAt)) on \(HTML.escape(v.trainingFile)), \(v.trainingRows) rows; metrics measured on \(v.metricsKind == "holdout" ? "held-out rows" : "its training rows") (\(m.rows) rows). Hash <code>\(v.hash)</code>.</p>"
        s += "<section class=\"kpis\">"
        for (label, value, id) in [("Accuracy", m.accuracy, "accuracy"), ("ROC AUC", m.auc, "auc"), ("PR AUC", m.prAuc, "pr-auc"),
                                   ("Log loss", m.logLoss, "log-loss"), ("Brier", m.brier, "brier")] {
            s += "<div class=\"kpi\" id=\"kpi-\(id)\"><div class=\"label\">\(label)</div><div class=\"value\">\(String(format: "%.4f", value))</div></div>"
        }
        s += "</section><section class=\"charts\">"
        if let curves = v.curves {
            let series = ModelCharts.Series(name: "v\(v.version)", color: ModelCharts.championColor, points: curves.roc)
            s += "<div class=\"card\" id=\"roc-chart\"><h3>ROC curve</h3>\(ModelCharts.roc([series]))</div>"
            s += "<div class=\"card\" id=\"calibration-chart\"><h3>Calibration (expected error \(String(format: "%.3f", curves.calibration.error)))</h3>\(ModelCharts.calibration([(series, curves.calibration)]))</div>"
        } else {
            s += "<p>No ROC curve or calibration was recorded for this version.</p>"
        }
        s += "</section>"
        s += "<section class=\"card\" id=\"coefficients-chart\"><h3>Coefficients (log-odds per standard deviation; categories against their column's average)</h3>\(ModelCharts.coefficients(model))</section>"
        s += scorecard(model.health)
        return s + "</section>"
    }

    static func scorecard(_ h: HealthScorecard) -> String {
        var s = "<section class=\"card\" id=\"health-scorecard\"><h3>Health scorecard</h3><table class=\"data\"><thead><tr><th>Measure</th><th class=\"num\">Weight</th><th>Healthier when</th><th class=\"num\">Scale low</th><th class=\"num\">Scale high</th></tr></thead><tbody>"
        for m in h.measures {
            s += "<tr><td>\(HTML.escape(m.column))</td><td class=\"num\">\(String(format: "%.2f", m.weight))</td><td>\(m.direction == .higherIsHealthier ? "higher" : "lower")</td><td class=\"num\">\(String(format: "%.2f", m.low))</td><td class=\"num\">\(String(format: "%.2f", m.high))</td></tr>"
        }
        for c in h.categorical ?? [] {
            let scores = c.scores.map { "\(HTML.escape($0.value)) \(Int($0.score.rounded()))" }.joined(separator: ", ")
            s += "<tr><td>\(HTML.escape(c.column))</td><td class=\"num\">\(String(format: "%.2f", c.weight))</td><td colspan=\"3\">\(scores); unseen \(Int(c.unseen.rounded()))</td></tr>"
        }
        return s + "</tbody></table></section>"
    }

    static func retrainForm(label: String?) -> String {
        """
        <section class="card" id="retrain"><h2>Retrain</h2>
        <p>Upload labelled customers. A challenger is trained on part of them and compared with the champion on the same held-out rows; \
        it is registered, and promoted only if its ROC AUC is not lower (by more than the allowed drop) and its log loss not higher by more than the allowed rise.</p>
        <form id="retrain-form" method="post" action="/models/retrain?\(AccountNavigation.csrfQuery)" enctype="multipart/form-data">
        <label>Labelled file (CSV or XLSX) <input type="file" id="retrain-file" name="file" accept=".csv,.xlsx" required></label>
        <label>Label column <input type="text" name="label" value="\(HTML.escape(label ?? "churn_label"))" required></label>
        <label>Held out <input type="number" name="holdout" value="0.2" min="0.05" max="0.95" step="0.05"></label>
        <label>Seed <input type="number" name="seed" value="1" min="0"></label>
        <label>Allowed AUC drop <input type="number" name="max_auc_drop" value="0" min="0" step="0.001"></label>
        <label>Allowed log-loss rise <input type="number" name="max_log_loss_rise" value="0.02" min="0" step="0.01"></label>
        <button type="submit" id="retrain-submit">Retrain</button>
        </form></section>
        """
    }

    /// A retrain's outcome: the two models side by side on the same rows, and the decision.
    static func outcome(_ o: Retraining.Outcome, fileName: String) -> String {
        let c = o.challenger
        var s = "<section class=\"card\" id=\"retrain-outcome\"><h1>Retrain on \(HTML.escape(fileName))</h1>"
        s += "<p id=\"retrain-decision\" class=\"\(o.promoted ? "promoted" : "kept")\">"
        s += o.promoted ? "Promoted: version \(c.version) is the champion." : "Not promoted: the champion stays version \(o.champion?.version ?? 0)."
        s += "</p><p>Challenger trained on \(o.trainingRows) rows; both measured on the same \(o.holdoutRows) held-out rows. Rule: \(HTML.escape(o.rule.text)).</p><ul>"
        for r in o.reasons { s += "<li>\(HTML.escape(r))</li>" }
        s += "</ul><table class=\"data\" id=\"comparison\"><thead><tr><th></th>"
        let sides: [(String, Retraining.Side?)] = [("Champion" + (o.champion.map { " v\($0.version)" } ?? ""), o.champion), ("Challenger v\(c.version)", c)]
        for (name, _) in sides { s += "<th class=\"num\">\(name)</th>" }
        s += "</tr></thead><tbody>"
        let rows: [(String, (Retraining.Side) -> Double)] = [("Accuracy", { $0.metrics.accuracy }), ("ROC AUC", { $0.metrics.auc }),
                                                              ("PR AUC", { $0.metrics.prAuc }), ("Log loss", { $0.metrics.logLoss }),
                                                              ("Brier", { $0.metrics.brier }), ("Calibration error", { $0.calibration.error })]
        for (name, value) in rows {
            s += "<tr><td>\(name)</td>" + sides.map { "<td class=\"num\">\($0.1.map { String(format: "%.4f", value($0)) } ?? "—")</td>" }.joined() + "</tr>"
        }
        s += "</tbody></table>"
        var series: [(ModelCharts.Series, Calibration)] = []
        if let ch = o.champion {
            series.append((ModelCharts.Series(name: "champion v\(ch.version)", color: ModelCharts.championColor, points: ch.curves.roc), ch.curves.calibration))
        }
        series.append((ModelCharts.Series(name: "challenger v\(c.version)", color: ModelCharts.challengerColor, points: c.curves.roc), c.curves.calibration))
        s += "<section class=\"charts\"><div class=\"card\" id=\"roc-chart\"><h3>ROC curves</h3>\(ModelCharts.roc(series.map(\.0)))</div>"
        s += "<div class=\"card\" id=\"calibration-chart\"><h3>Calibration</h3>\(ModelCharts.calibration(series))</div></section>"
        if !o.promoted {
            s += "<form class=\"inline\" method=\"post\" action=\"/models/\(c.version)/promote\">\(AccountNavigation.csrfField)<button type=\"submit\" id=\"promote-challenger\">Promote version \(c.version) anyway</button></form> "
        }
        return s + "<a class=\"button\" href=\"/models/\(c.version)\">Version \(c.version)</a> <a class=\"button\" href=\"/models\">All models</a></section>"
    }
}
