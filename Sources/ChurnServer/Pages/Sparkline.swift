import ChurnReport
import Foundation

/// A small inline SVG line chart of a series (trends across runs, a customer's scores over time).
enum Sparkline {
    static func svg(_ values: [Double], labels: [String], width: Double = 260, height: Double = 70, maxValue: Double? = nil) -> String {
        let pad = 6.0
        let top = maxValue ?? max(values.max() ?? 1, 1) * 1.15
        let lowest = maxValue == nil ? min(values.min() ?? 0, 0) : 0
        let span = max(top - lowest, 1e-9)
        func x(_ i: Int) -> Double { values.count <= 1 ? width / 2 : pad + (width - 2 * pad) * Double(i) / Double(values.count - 1) }
        func y(_ v: Double) -> Double { height - pad - (height - 2 * pad) * (v - lowest) / span }
        var s = "<svg class=\"sparkline\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\">"
        if values.count > 1 {
            let points = values.enumerated().map { "\(f(x($0.offset))),\(f(y($0.element)))" }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"#1f4e79\" stroke-width=\"2\" points=\"\(points)\"/>"
        }
        for (i, v) in values.enumerated() {
            let label = i < labels.count ? labels[i] : ""
            s += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(v)))\" r=\"3\" fill=\"#1f4e79\"><title>\(HTML.escape(label)): \(value(v))</title></circle>"
        }
        return s + "</svg>"
    }

    static func card(_ title: String, _ values: [Double], labels: [String], format: (Double) -> String = value) -> String {
        "<div class=\"trend\"><div class=\"trend-title\">\(HTML.escape(title))</div><div class=\"trend-value\">\(values.last.map(format) ?? "–")</div>"
            + svg(values, labels: labels) + "</div>"
    }

    static func value(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e12 ? ReportFormat.integer(Int64(v)) : String(format: "%.1f", v)
    }

    private static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
