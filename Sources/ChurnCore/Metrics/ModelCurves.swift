/// The curves a model's page draws, kept with a registered model: the ROC curve (false-positive
/// rate against true-positive rate at every distinct threshold, thinned to at most `maxPoints`)
/// and the calibration bins, both measured on the rows its metrics were measured on.
public struct ModelCurves: Codable, Equatable, Sendable {
    /// `[fpr, tpr]` pairs from (0, 0) to (1, 1).
    public var roc: [[Double]]
    public var calibration: Calibration

    public static let maxPoints = 101

    public init(roc: [[Double]], calibration: Calibration) {
        self.roc = roc
        self.calibration = calibration
    }

    public init(probabilities p: [Double], labels y: [Bool]) {
        roc = Self.rocPoints(p, y)
        calibration = Calibration(probabilities: p, labels: y)
    }

    static func rocPoints(_ p: [Double], _ y: [Bool]) -> [[Double]] {
        let positives = Double(y.filter { $0 }.count), negatives = Double(y.count) - positives
        guard positives > 0, negatives > 0 else { return [[0, 0], [1, 1]] }
        let order = p.indices.sorted { p[$0] > p[$1] }
        var points: [[Double]] = [[0, 0]]
        var tp = 0.0, fp = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && p[order[j + 1]] == p[order[i]] { j += 1 }
            for k in i...j { if y[order[k]] { tp += 1 } else { fp += 1 } }
            points.append([fp / negatives, tp / positives])
            i = j + 1
        }
        guard points.count > maxPoints else { return points }
        // Thin evenly, keeping both ends.
        let step = Double(points.count - 1) / Double(maxPoints - 1)
        return (0..<maxPoints).map { points[Int((Double($0) * step).rounded())] }
    }
}
