import ChurnCore
import ChurnIO
import Foundation

/// Everything a scoring run reports, for people (`SummaryText`) and programs (`--summary-json`).
public struct RunSummary: Codable, Sendable {
    public var input: String
    public var inputBytes: Int
    public var output: String
    public var model: String
    public var modelHash: String
    public var rankBy: String
    /// "in-process (N threads)" or "cluster (N workers)".
    public var engine: String
    public var seconds: Double
    public var rowsPerSecond: Double
    public var megabytesPerSecond: Double
    public var rowsScored: UInt64
    public var rowsRejected: UInt64
    public var imputedCells: UInt64
    public var unseenCategories: UInt64
    public var healthHistogram: [HealthBin]
    public var riskDistribution: RiskDistribution
    /// Absent when the model has no revenue column: no money figures are made up.
    public var revenue: Revenue?
    public var top: [RankedCustomer]
    public var rejected: [RejectedRow]
    /// Customers at High risk now who were not in the previous run of the same input (with --db).
    public var newlyHighRisk: [String]?
    public var runId: Int64?
    /// Per numeric feature with training bins: the PSI of the scored values against training
    /// (`feature`, `psi`, `warning` when above 0.2, the bin `edges`, `expected` and `actual` shares).
    /// Absent when nothing was scored or the model has no training bins.
    public var drift: [DriftReport.Numeric]?
    /// Per categorical feature: values not seen in training and their share of the scored rows.
    public var unseenCategoryShares: [DriftReport.Categorical]?
    /// Said when drift could not be measured (a model file without training bins).
    public var driftNote: String?
    /// The symbol before money amounts, when a policy or `--currency` named one (see `currencySymbol`).
    public var currency: String?
    /// The symbol to put before money amounts: `currency`, else `CurrencySymbol.standard`.
    public var currencySymbol: String { currency ?? CurrencySymbol.standard }

    /// One bar of the health histogram.
    public struct HealthBin: Codable, Sendable {
        public var from: Int
        public var to: Int
        public var count: UInt64
    }

    /// Customers per risk level.
    public struct RiskDistribution: Codable, Sendable {
        public var low: UInt64
        public var medium: UInt64
        public var high: UInt64
    }

    /// Revenue totals, in the input's currency.
    public struct Revenue: Codable, Sendable {
        public var column: String
        public var total: Double
        public var atHighRisk: Double
        public var expectedLoss: Double
    }

    public init(input: String, inputBytes: Int, output: String, model: String, modelHash: String, rankBy: RankBy,
                engine: String, seconds: Double, aggregate a: ScoreAggregate, revenueColumn: String?,
                driftModel: ChurnModel? = nil) {
        self.input = input
        self.inputBytes = inputBytes
        self.output = output
        self.model = model
        self.modelHash = modelHash
        self.rankBy = rankBy.rawValue
        self.engine = engine
        self.seconds = seconds
        rowsPerSecond = seconds > 0 ? Double(a.rowsScored) / seconds : 0
        megabytesPerSecond = seconds > 0 ? Double(inputBytes) / 1e6 / seconds : 0
        rowsScored = a.rowsScored
        rowsRejected = a.rowsRejected
        imputedCells = a.imputedCells
        unseenCategories = a.unseenCategories
        healthHistogram = a.healthHistogram.enumerated().map {
            HealthBin(from: $0.offset * 10, to: $0.offset == ScoreAggregate.healthBins - 1 ? 100 : $0.offset * 10 + 9, count: $0.element)
        }
        riskDistribution = RiskDistribution(low: a.riskCounts[0], medium: a.riskCounts[1], high: a.riskCounts[2])
        revenue = revenueColumn.map {
            Revenue(column: $0, total: Double(a.revenueCents) / 100,
                    atHighRisk: Double(a.highRiskRevenueCents) / 100, expectedLoss: Double(a.expectedLossCents) / 100)
        }
        top = a.top
        rejected = a.rejected
        if let model = driftModel {
            let report = DriftReport(model: model, counts: a.drift, rowsScored: a.rowsScored)
            drift = report.flatMap { $0.numeric.isEmpty ? nil : $0.numeric }
            unseenCategoryShares = report.flatMap { $0.categorical.isEmpty ? nil : $0.categorical }
            if let unbinned = report?.unbinnedFeatures, !unbinned.isEmpty {
                driftNote = unbinned.count == model.numeric.count
                    ? "the model file has no training bins (trained before they were kept), so drift is not measured; retrain to add them"
                    : "no training bins for \(unbinned.joined(separator: ", ")), so their drift is not measured"
            }
        }
    }

    /// Numeric features whose PSI exceeds `DriftReport.warningPSI`.
    public var driftWarnings: [DriftReport.Numeric] { (drift ?? []).filter(\.warning) }

    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
