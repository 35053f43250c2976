import ChurnCore
import Foundation

/// The health distribution as an inline SVG bar chart: one bar per `ScoreAggregate` health bin,
/// counts above the bars, a labelled y axis with grid lines.
public enum HealthChart {
    static let width = 600.0
    static let height = 300.0
    private static let left = 64.0, right = 12.0, top = 26.0, bottom = 58.0

    /// Red for the unhealthiest bin through amber to green for the healthiest.
    static let colors = ["#b83227", "#cf4a2a", "#e0672c", "#ea8a2d", "#eeac33",
                         "#c9b237", "#98ae3c", "#6aa343", "#43924a", "#2c7f4f"]

    /// "0–9", "10–19", …, "90–100".
    static func binLabel(_ i: Int) -> String {
        i == ScoreAggregate.healthBins - 1 ? "\(i * 10)–100" : "\(i * 10)–\(i * 10 + 9)"
    }

    public static func svg(_ histogram: [UInt64]) -> String {
        let bins = histogram.count
        let total = histogram.reduce(0, +)
        let (maxValue, step) = niceScale(histogram.max() ?? 0)
        let plotW = width - left - right, plotH = height - top - bottom
        let slot = plotW / Double(max(bins, 1))
        let barW = slot * 0.72
        func y(_ v: Double) -> Double { top + plotH - plotH * v / maxValue }

        var s = """
            <svg class="chart" viewBox="0 0 \(f(width)) \(f(height))" role="img" \
            aria-label="Health distribution: customers per health score band">
            """
        // Grid and y axis labels.
        var tick = 0.0
        while tick <= maxValue + step / 2 {
            let ty = y(tick)
            s += "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(ty))\" x2=\"\(f(width - right))\" y2=\"\(f(ty))\"/>"
            s += "<text class=\"tick\" x=\"\(f(left - 8))\" y=\"\(f(ty + 4))\" text-anchor=\"end\">\(ReportFormat.compact(UInt64(tick)))</text>"
            tick += step
        }
        // Bars with their counts and band labels.
        for i in 0..<bins {
            let count = histogram[i]
            let x = left + Double(i) * slot + (slot - barW) / 2
            let by = y(Double(count))
            let share = total > 0 ? Double(count) / Double(total) : 0
            let label = binLabel(i)
            s += "<rect class=\"bar\" data-bin=\"\(label)\" data-count=\"\(count)\" x=\"\(f(x))\" y=\"\(f(by))\" "
            s += "width=\"\(f(barW))\" height=\"\(f(top + plotH - by))\" rx=\"2\" fill=\"\(colors[min(i, colors.count - 1)])\">"
            s += "<title>Health \(label): \(ReportFormat.integer(count)) customers (\(ReportFormat.percent(share)))</title></rect>"
            s += "<text class=\"count\" x=\"\(f(x + barW / 2))\" y=\"\(f(by - 6))\" text-anchor=\"middle\">\(ReportFormat.compact(count))</text>"
            s += "<text class=\"band\" x=\"\(f(x + barW / 2))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(label)</text>"
        }
        // Axes and their titles.
        s += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\"/>"
        s += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(top - 6))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\"/>"
        s += "<text class=\"axis-title\" x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 10))\" text-anchor=\"middle\">"
        s += "Health score (0 = poor, 100 = healthy)</text>"
        s += "<text class=\"axis-title\" transform=\"translate(16 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">Customers</text>"
        s += "</svg>"
        return s
    }

    /// A rounded axis maximum at or above `maxCount` and a tick step giving about four intervals.
    static func niceScale(_ maxCount: UInt64) -> (max: Double, step: Double) {
        guard maxCount > 0 else { return (4, 1) }
        let raw = Double(maxCount) / 4
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        var step = magnitude
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where magnitude * m >= raw {
            step = magnitude * m
            break
        }
        step = max(1, step.rounded(.up))
        let top = (Double(maxCount) / step).rounded(.up) * step
        return (max(top, step), step)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
