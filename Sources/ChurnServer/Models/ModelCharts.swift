import ChurnCore
import ChurnReport
import Foundation

/// The models page's inline SVG charts: ROC curves, calibration plots and signed coefficient bars.
/// Presentation attributes only (no style attributes, no script), so they pass the page's policy.
enum ModelCharts {
    /// One line on a chart: a name for the legend and its colour.
    struct Series {
        var name: String
        var color: String
        var points: [[Double]]
    }

    static let championColor = "#2c6fb7"
    static let challengerColor = "#d9822b"

    private static let size = 300.0, margin = 42.0

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }
    private static func px(_ x: Double) -> Double { margin + x * (size - 2 * margin) }
    private static func py(_ y: Double) -> Double { size - margin - y * (size - 2 * margin) }

    /// A unit square with axes, ticks at 0, 0.5 and 1, and the diagonal.
    private static func frame(label: String, x: String, y: String) -> String {
        var s = "<svg class=\"chart model-chart\" viewBox=\"0 0 \(f(size)) \(f(size))\" role=\"img\" aria-label=\"\(HTML.escape(label))\">"
        s += "<rect x=\"\(f(px(0)))\" y=\"\(f(py(1)))\" width=\"\(f(px(1) - px(0)))\" height=\"\(f(py(0) - py(1)))\" fill=\"none\" stroke=\"#c8ccd2\"/>"
        for t in [0.0, 0.5, 1.0] {
            s += "<text class=\"tick\" x=\"\(f(px(t)))\" y=\"\(f(py(0) + 16))\" text-anchor=\"middle\">\(t == 0.5 ? "0.5" : String(Int(t)))</text>"
            s += "<text class=\"tick\" x=\"\(f(px(0) - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(t == 0.5 ? "0.5" : String(Int(t)))</text>"
        }
        s += "<line x1=\"\(f(px(0)))\" y1=\"\(f(py(0)))\" x2=\"\(f(px(1)))\" y2=\"\(f(py(1)))\" stroke=\"#9aa1a9\" stroke-dasharray=\"4 4\"/>"
        s += "<text class=\"axis\" x=\"\(f(size / 2))\" y=\"\(f(size - 6))\" text-anchor=\"middle\">\(HTML.escape(x))</text>"
        s += "<text class=\"axis\" x=\"12\" y=\"\(f(size / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f(size / 2)))\">\(HTML.escape(y))</text>"
        return s
    }

    private static func legend(_ series: [Series]) -> String {
        guard series.count > 1 else { return "" }
        return series.enumerated().map { i, s in
            let y = margin + 4 + Double(i) * 16
            return "<rect x=\"\(f(px(0.55)))\" y=\"\(f(y + 8))\" width=\"12\" height=\"4\" fill=\"\(s.color)\"/>"
                + "<text class=\"tick\" x=\"\(f(px(0.55) + 16))\" y=\"\(f(y + 14))\">\(HTML.escape(s.name))</text>"
        }.joined()
    }

    /// ROC curves: false-positive rate across, true-positive rate up.
    static func roc(_ series: [Series]) -> String {
        var s = frame(label: "ROC curve: true-positive rate against false-positive rate", x: "false-positive rate", y: "true-positive rate")
        for line in series where !line.points.isEmpty {
            let points = line.points.map { "\(f(px($0[0]))),\(f(py($0[1])))" }.joined(separator: " ")
            s += "<polyline class=\"roc\" points=\"\(points)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"/>"
        }
        return s + legend(series) + "</svg>"
    }

    /// Calibration: mean predicted probability across, observed churn rate up, one dot per
    /// non-empty bin (area by rows).
    static func calibration(_ series: [(Series, Calibration)]) -> String {
        var s = frame(label: "Calibration: observed churn rate against predicted probability", x: "predicted probability",
                      y: "observed churn rate")
        for (line, c) in series {
            let bins = c.bins.filter { $0.rows > 0 }
            let most = Double(bins.map(\.rows).max() ?? 1)
            let points = bins.map { "\(f(px($0.predicted))),\(f(py($0.observed)))" }.joined(separator: " ")
            s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\"/>"
            for b in bins {
                let r = 2.5 + 5 * (Double(b.rows) / most).squareRoot()
                s += "<circle class=\"calibration-bin\" cx=\"\(f(px(b.predicted)))\" cy=\"\(f(py(b.observed)))\" r=\"\(f(r))\" fill=\"\(line.color)\" fill-opacity=\"0.75\"><title>\(String(format: "predicted %.2f, observed %.2f, %d rows", b.predicted, b.observed, b.rows))</title></circle>"
            }
        }
        return s + legend(series.map(\.0)) + "</svg>"
    }

    /// The model's coefficients as signed bars around zero, largest magnitude first (numeric
    /// features per standard deviation; categories against their column's average).
    static func coefficients(_ model: ChurnModel, limit: Int = 24) -> String {
        var bars: [(String, Double)] = model.numeric.map { ($0.column, $0.coefficient) }
        for f in model.categorical {
            let baseline = f.categories.reduce(0) { $0 + $1.frequency * $1.coefficient }
            bars += f.categories.map { ("\(f.column)=\($0.value)", $0.coefficient - baseline) }
        }
        bars = Array(bars.sorted { abs($0.1) > abs($1.1) }.prefix(limit))
        let width = 640.0, label = 230.0, row = 20.0, top = 8.0
        let height = top * 2 + row * Double(max(bars.count, 1))
        let largest = max(bars.map { abs($0.1) }.max() ?? 1, 1e-9)
        let half = (width - label - 60) / 2, zero = label + half
        var s = "<svg class=\"chart coefficients\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" aria-label=\"Coefficients: what raises (right) and lowers (left) the log-odds of churn\">"
        s += "<line x1=\"\(f(zero))\" y1=\"0\" x2=\"\(f(zero))\" y2=\"\(f(height))\" stroke=\"#9aa1a9\"/>"
        for (i, (name, value)) in bars.enumerated() {
            let y = top + Double(i) * row
            let w = half * abs(value) / largest
            let x = value >= 0 ? zero : zero - w
            let color = value >= 0 ? "#b83227" : "#2c7f4f"
            s += "<text class=\"tick\" x=\"\(f(label - 6))\" y=\"\(f(y + 14))\" text-anchor=\"end\">\(HTML.escape(name))</text>"
            s += "<rect class=\"bar \(value >= 0 ? "raises" : "lowers")\" x=\"\(f(x))\" y=\"\(f(y + 3))\" width=\"\(f(max(w, 0.5)))\" height=\"\(f(row - 6))\" fill=\"\(color)\"><title>\(HTML.escape(name)): \(String(format: "%+.4f", value))</title></rect>"
            s += "<text class=\"tick\" x=\"\(f(value >= 0 ? x + w + 4 : x - 4))\" y=\"\(f(y + 14))\" text-anchor=\"\(value >= 0 ? "start" : "end")\">\(String(format: "%+.2f", value))</text>"
        }
        return s + "</svg>"
    }
}
