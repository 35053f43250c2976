import ChurnCore
import ChurnIO
import ChurnStore
import Foundation

/// Champion and challenger: trains a challenger on part of a labelled file, measures it and the
/// registry's champion on the same held-out rows, registers the challenger and promotes it only if
/// the promotion rule says so. What `churn retrain` (and the dashboard's retrain form) runs.
public enum Retraining {
    /// What to retrain on and how to decide.
    public struct Request: Sendable {
        public var table: Table
        public var fingerprint: DataFingerprint
        public var options: Trainer.Options
        /// Fraction of rows held out for the comparison.
        public var holdout: Double
        public var seed: UInt64
        public var rule: PromotionRule
        /// Rows to measure both models on instead of holding out part of `table` (which then trains
        /// the challenger whole).
        public var holdoutTable: Table?

        public init(table: Table, fingerprint: DataFingerprint, options: Trainer.Options, holdout: Double = 0.2, seed: UInt64 = 1,
                    rule: PromotionRule = PromotionRule(), holdoutTable: Table? = nil) {
            self.holdoutTable = holdoutTable
            self.table = table
            self.fingerprint = fingerprint
            self.options = options
            self.holdout = holdout
            self.seed = seed
            self.rule = rule
        }
    }

    /// One model measured on the held-out rows.
    public struct Side: Encodable, Sendable {
        public var version: Int
        public var hash: String
        public var metrics: EvaluationMetrics
        public var calibration: Calibration
        /// ROC curve and calibration on the held-out rows, for charts (not in the JSON).
        public var curves: ModelCurves

        enum CodingKeys: String, CodingKey {
            case version, hash, rows, accuracy, auc, prAuc = "pr_auc", logLoss = "log_loss", brier, calibrationError = "calibration_error", calibration
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(version, forKey: .version)
            try c.encode(hash, forKey: .hash)
            try c.encode(metrics.rows, forKey: .rows)
            try c.encode(metrics.accuracy, forKey: .accuracy)
            try c.encode(metrics.auc, forKey: .auc)
            try c.encode(metrics.prAuc, forKey: .prAuc)
            try c.encode(metrics.logLoss, forKey: .logLoss)
            try c.encode(metrics.brier, forKey: .brier)
            try c.encode(calibration.error, forKey: .calibrationError)
            try c.encode(calibration.bins, forKey: .calibration)
        }
    }

    /// What happened: both sides' metrics, whether the challenger was promoted and why.
    public struct Outcome: Encodable, Sendable {
        public var promoted: Bool
        /// The champion before this retrain; nil when the registry had none (the challenger then
        /// becomes the first champion).
        public var champion: Side?
        public var challenger: Side
        public var rule: PromotionRule
        public var reasons: [String]
        public var trainingRows: Int
        public var holdoutRows: Int
        public var seed: UInt64
        public var holdout: Double

        enum CodingKeys: String, CodingKey {
            case promoted, champion, challenger, rule, reasons, trainingRows = "training_rows", holdoutRows = "holdout_rows", seed, holdout
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(promoted, forKey: .promoted)
            if let champion { try c.encode(champion, forKey: .champion) } else { try c.encodeNil(forKey: .champion) }
            try c.encode(challenger, forKey: .challenger)
            try c.encode(["max_auc_drop": rule.maxAUCDrop, "max_log_loss_rise": rule.maxLogLossRise], forKey: .rule)
            try c.encode(reasons, forKey: .reasons)
            try c.encode(trainingRows, forKey: .trainingRows)
            try c.encode(holdoutRows, forKey: .holdoutRows)
            try c.encode(seed, forKey: .seed)
            try c.encode(holdout, forKey: .holdout)
        }
    }

    public static func run(_ request: Request, registry: ModelRegistry) throws -> Outcome {
        let (trainPart, heldOut) = try request.holdoutTable.map { (request.table, $0) }
            ?? HoldoutSplit.split(request.table, labelColumn: request.options.labelColumn, holdout: request.holdout, seed: request.seed)
        let challengerModel = try Trainer(options: request.options).train(trainPart, fingerprint: request.fingerprint)
        let challengerLoaded = try ModelFile.load(bytes: try ModelFile.encode(challengerModel), name: "challenger")
        let challengerResult = try ModelEvaluation.run(try CompiledModel(challengerLoaded.model), on: heldOut)

        var championSide: Side?
        var championMetrics: EvaluationMetrics?
        if let championVersion = try registry.champion(), let bytes = try registry.modelBytes(championVersion) {
            let champion = try ModelFile.load(bytes: bytes, name: "registry v\(championVersion)")
            let result = try ModelEvaluation.run(try CompiledModel(champion.model), on: heldOut)
            championMetrics = result.metrics
            championSide = Side(version: championVersion, hash: champion.hashHex, metrics: result.metrics, calibration: result.calibration,
                                curves: ModelCurves(probabilities: result.probabilities, labels: result.labels))
        }

        let challengerCurves = ModelCurves(probabilities: challengerResult.probabilities, labels: challengerResult.labels)
        let registration = try registry.register(bytes: challengerLoaded.bytes, hash: challengerLoaded.hashHex, model: challengerModel,
                                                 metrics: challengerResult.metrics, metricsKind: "holdout", source: "retrain",
                                                 curves: challengerCurves)
        var promoted: Bool
        var reasons: [String]
        if let championMetrics, let championSide {
            (promoted, reasons) = request.rule.decide(champion: championMetrics, challenger: challengerResult.metrics)
            if registration.version == championSide.version {
                promoted = false
                reasons.append("the challenger is the champion's exact model file (version \(registration.version))")
            } else if promoted {
                try registry.promote(registration.version)
            }
        } else {
            promoted = registration.champion
            reasons = ["the registry had no champion: the challenger is the first"]
        }
        return Outcome(promoted: promoted, champion: championSide,
                       challenger: Side(version: registration.version, hash: challengerLoaded.hashHex, metrics: challengerResult.metrics,
                                        calibration: challengerResult.calibration, curves: challengerCurves),
                       rule: request.rule, reasons: reasons, trainingRows: challengerModel.training.rows,
                       holdoutRows: challengerResult.metrics.rows, seed: request.seed, holdout: request.holdout)
    }
}
