import Foundation

/// When a challenger replaces the champion: measured on the same held-out rows, its ROC AUC may be
/// at most `maxAUCDrop` below the champion's, and its log loss at most `maxLogLossRise` (a fraction:
/// 0.02 = 2%) above the champion's. The default asks for an AUC not lower and a log loss not more
/// than 2% higher.
public struct PromotionRule: Codable, Equatable, Sendable {
    /// Largest allowed AUC drop, in AUC points (0.01 = one hundredth).
    public var maxAUCDrop: Double
    /// Largest allowed relative log-loss rise.
    public var maxLogLossRise: Double

    public init(maxAUCDrop: Double = 0, maxLogLossRise: Double = 0.02) {
        self.maxAUCDrop = maxAUCDrop
        self.maxLogLossRise = maxLogLossRise
    }

    /// The rule in words, for output.
    public var text: String {
        let auc = maxAUCDrop == 0 ? "ROC AUC not lower" : "ROC AUC at most \(maxAUCDrop) lower"
        return "\(auc) and log loss at most \(Self.percent(maxLogLossRise)) higher than the champion's, on the same held-out rows"
    }

    /// Whether the challenger passes, and each check's outcome in words.
    public func decide(champion: EvaluationMetrics, challenger: EvaluationMetrics) -> (promote: Bool, reasons: [String]) {
        let aucFloor = champion.auc - maxAUCDrop
        let aucOK = challenger.auc.isFinite && champion.auc.isFinite && challenger.auc >= aucFloor
        let lossCeiling = champion.logLoss * (1 + maxLogLossRise)
        let lossOK = challenger.logLoss.isFinite && challenger.logLoss <= lossCeiling
        func f(_ x: Double) -> String { x.isFinite ? String(format: "%.4f", x) : "n/a" }
        return (aucOK && lossOK, [
            "ROC AUC \(f(challenger.auc)) vs \(f(champion.auc)) (needs ≥ \(f(aucFloor))): \(aucOK ? "pass" : "fail")",
            "log loss \(f(challenger.logLoss)) vs \(f(champion.logLoss)) (needs ≤ \(f(lossCeiling))): \(lossOK ? "pass" : "fail")",
        ])
    }

    static func percent(_ x: Double) -> String {
        let p = x * 100
        return p == p.rounded() ? "\(Int(p))%" : "\(p)%"
    }
}
