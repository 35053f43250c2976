import Foundation

/// Classification quality of churn probabilities against true labels.
public struct EvaluationMetrics: Codable, Equatable, Sendable {
    public var rows: Int
    public var positives: Int
    public var threshold: Double
    public var accuracy: Double
    public var auc: Double
    /// Average precision, as scikit-learn's `average_precision_score`.
    public var prAuc: Double
    public var logLoss: Double
    public var brier: Double
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var confusion: ConfusionMatrix

    /// Counts at the decision threshold (positive = churn).
    public struct ConfusionMatrix: Codable, Equatable, Sendable {
        public var truePositives: Int
        public var falsePositives: Int
        public var trueNegatives: Int
        public var falseNegatives: Int
    }

    /// Computes every metric from probabilities and 0/1 labels.
    public static func compute(probabilities p: [Double], labels y: [Bool], threshold: Double = 0.5) -> EvaluationMetrics {
        precondition(p.count == y.count)
        let n = p.count
        var tp = 0, fp = 0, tn = 0, fn = 0
        var logLoss = 0.0, brier = 0.0
        let eps = 1e-15
        for i in 0..<n {
            let predicted = p[i] >= threshold
            switch (predicted, y[i]) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, false): tn += 1
            case (false, true): fn += 1
            }
            let q = min(max(p[i], eps), 1 - eps)
            logLoss -= y[i] ? Foundation.log(q) : Foundation.log(1 - q)
            let t = y[i] ? 1.0 : 0.0
            brier += (p[i] - t) * (p[i] - t)
        }
        let positives = tp + fn
        let precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
        let recall = positives > 0 ? Double(tp) / Double(positives) : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return EvaluationMetrics(
            rows: n, positives: positives, threshold: threshold,
            accuracy: n > 0 ? Double(tp + tn) / Double(n) : 0,
            auc: rocAUC(p, y), prAuc: averagePrecision(p, y),
            logLoss: n > 0 ? logLoss / Double(n) : 0, brier: n > 0 ? brier / Double(n) : 0,
            precision: precision, recall: recall, f1: f1,
            confusion: ConfusionMatrix(truePositives: tp, falsePositives: fp, trueNegatives: tn, falseNegatives: fn))
    }

    /// ROC AUC by the rank-sum statistic, ties counted half (as scikit-learn's `roc_auc_score`).
    public static func rocAUC(_ p: [Double], _ y: [Bool]) -> Double {
        let order = p.indices.sorted { p[$0] < p[$1] }
        var rankSumPositive = 0.0
        var positives = 0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && p[order[j + 1]] == p[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1
            for k in i...j where y[order[k]] {
                rankSumPositive += averageRank
                positives += 1
            }
            i = j + 1
        }
        let negatives = order.count - positives
        guard positives > 0, negatives > 0 else { return .nan }
        return (rankSumPositive - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }

    /// Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ over distinct thresholds, highest first.
    public static func averagePrecision(_ p: [Double], _ y: [Bool]) -> Double {
        let order = p.indices.sorted { p[$0] > p[$1] }
        let totalPositives = y.filter { $0 }.count
        guard totalPositives > 0 else { return .nan }
        var tp = 0, fp = 0
        var previousRecall = 0.0
        var ap = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && p[order[j + 1]] == p[order[i]] { j += 1 }
            for k in i...j { if y[order[k]] { tp += 1 } else { fp += 1 } }
            let recall = Double(tp) / Double(totalPositives)
            let precision = Double(tp) / Double(tp + fp)
            ap += (recall - previousRecall) * precision
            previousRecall = recall
            i = j + 1
        }
        return ap
    }
}
