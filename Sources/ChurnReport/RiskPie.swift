import ChurnCore
import Foundation

/// The risk distribution as an inline SVG pie (High, Medium, Low clockwise from twelve o'clock) and
/// its legend. A level with every customer is a full circle (an arc cannot start and end at the same
/// point); empty levels draw nothing; no customers at all draws a grey disc.
public enum RiskPie {
    static let levels: [RiskLevel] = [.high, .medium, .low]

    static func color(_ level: RiskLevel) -> String {
        switch level {
        case .low: return "#2c7f4f"
        case .medium: return "#e39b17"
        case .high: return "#c0392b"
        }
    }

    /// - Parameters:
    ///   - counts: customers per level, indexed by `RiskLevel.rawValue` (as `ScoreAggregate.riskCounts`).
    public static func svg(_ counts: [UInt64]) -> String {
        let size = 240.0, c = 120.0, r = 110.0
        let total = counts.reduce(0, +)
        let shown = ReportFormat.roundedPercentages(levels.map { counts[Int($0.rawValue)] })
        var s = "<svg class=\"pie\" viewBox=\"0 0 \(f(size)) \(f(size))\" role=\"img\" aria-label=\"Risk distribution\">"
        guard total > 0 else {
            s += "<circle class=\"empty\" cx=\"\(f(c))\" cy=\"\(f(c))\" r=\"\(f(r))\" fill=\"#e6e9ef\"/>"
            s += "<text class=\"pie-empty\" x=\"\(f(c))\" y=\"\(f(c + 5))\" text-anchor=\"middle\">No customers scored</text></svg>"
            return s
        }
        var labels = ""
        var start = 0.0
        for (k, level) in levels.enumerated() {
            let count = counts[Int(level.rawValue)]
            guard count > 0 else { continue }
            let share = Double(count) / Double(total)
            let attributes = "class=\"slice\" data-level=\"\(level.name)\" data-count=\"\(count)\" "
                + "data-percent=\"\(String(format: "%.1f", shown[k]))\" fill=\"\(color(level))\""
            let tip = "<title>\(level.name) risk: \(ReportFormat.integer(count)) customers (\(ReportFormat.percent(share)))</title>"
            if count == total {
                s += "<circle \(attributes) cx=\"\(f(c))\" cy=\"\(f(c))\" r=\"\(f(r))\">\(tip)</circle>"
            } else {
                let end = start + share * 2 * Double.pi
                let (x0, y0) = point(c, r, start), (x1, y1) = point(c, r, end)
                let large = share > 0.5 ? 1 : 0
                s += "<path \(attributes) d=\"M\(f(c)) \(f(c)) L\(f(x0)) \(f(y0)) A\(f(r)) \(f(r)) 0 \(large) 1 \(f(x1)) \(f(y1)) Z\">\(tip)</path>"
            }
            if share >= 0.06 {
                let mid = count == total ? 0 : start + share * Double.pi
                let (lx, ly) = count == total ? (c, c) : point(c, r * 0.62, mid)
                labels += "<text class=\"pie-label\" x=\"\(f(lx))\" y=\"\(f(ly + 5))\" text-anchor=\"middle\">"
                    + "\(ReportFormat.trimmed(shown[k], digits: 1))%</text>"
            }
            start += share * 2 * Double.pi
        }
        s += labels + "</svg>"
        return s
    }

    /// The legend: swatch, level, count and the same rounded percentages as the slices.
    public static func legend(_ counts: [UInt64]) -> String {
        let shown = ReportFormat.roundedPercentages(levels.map { counts[Int($0.rawValue)] })
        var s = "<ul class=\"legend\">"
        for (k, level) in levels.enumerated() {
            let count = counts[Int(level.rawValue)]
            // A class, not a style attribute: the dashboard's Content-Security-Policy allows no inline styles.
            s += "<li><span class=\"swatch \(level.name.lowercased())\"></span>"
            s += "<span class=\"legend-name\">\(level.name)</span>"
            s += "<span class=\"legend-count\">\(ReportFormat.integer(count))</span>"
            s += "<span class=\"legend-pct\">\(String(format: "%.1f", shown[k]))%</span></li>"
        }
        return s + "</ul>"
    }

    /// The point at `angle` radians clockwise from twelve o'clock.
    private static func point(_ c: Double, _ r: Double, _ angle: Double) -> (Double, Double) {
        (c + r * sin(angle), c - r * cos(angle))
    }

    private static func f(_ v: Double) -> String { String(format: "%.2f", v) }
}
