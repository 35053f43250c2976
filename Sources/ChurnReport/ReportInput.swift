import ChurnCore
import Foundation

/// Everything `HTMLReport.render` shows: the input, the model, the run and its aggregate.
public struct ReportInput: Sendable {
    public var title: String
    public var generatedAt: Date
    public var input: InputFile
    public var model: Model
    public var run: Run
    public var aggregate: ScoreAggregate
    /// Customers at High risk now but not in the previous run of the same file (`RunStore.newlyHighRisk`).
    public var newlyHighRisk: [String]
    /// Which run the "newly High risk" list compares with, e.g. "run #12 of 2025-03-01"; nil when
    /// there was none (then the comparison section is left out unless the list is non-empty).
    public var previousRun: String?
    /// Put before amounts: "$", "€", "£".
    public var currencySymbol: String
    /// Who signs the drafted retention e-mails (see `RetentionOffer`).
    public var sender: RetentionOffer.Sender
    /// Business accounts or consumers: the drafts' wording.
    public var audience: RetentionOffer.Audience
    /// Whether the model has a revenue column; without one the report shows no money at all.
    public var hasRevenue: Bool

    public init(title: String, generatedAt: Date = Date(), input: InputFile, model: Model, run: Run,
                aggregate: ScoreAggregate, newlyHighRisk: [String] = [], previousRun: String? = nil,
                currencySymbol: String = "$", sender: RetentionOffer.Sender = .init(),
                audience: RetentionOffer.Audience = .business, hasRevenue: Bool = true) {
        self.title = title
        self.generatedAt = generatedAt
        self.input = input
        self.model = model
        self.run = run
        self.aggregate = aggregate
        self.newlyHighRisk = newlyHighRisk
        self.previousRun = previousRun
        self.currencySymbol = currencySymbol
        self.sender = sender
        self.audience = audience
        self.hasRevenue = hasRevenue
    }

    /// The scored file.
    public struct InputFile: Sendable {
        public var name: String
        public var bytes: Int64
        public var fingerprint: String
        public init(name: String, bytes: Int64, fingerprint: String) {
            self.name = name
            self.bytes = bytes
            self.fingerprint = fingerprint
        }
    }

    /// What the reader needs to know about the model.
    public struct Model: Sendable {
        public var hash: String
        /// ISO-8601, as in the model file.
        public var createdAt: String
        public var accuracy: Double
        public var auc: Double
        public var featureCount: Int
        public var trainingRows: Int?
        public var trainingFile: String?

        public init(hash: String, createdAt: String, accuracy: Double, auc: Double, featureCount: Int,
                    trainingRows: Int? = nil, trainingFile: String? = nil) {
            self.hash = hash
            self.createdAt = createdAt
            self.accuracy = accuracy
            self.auc = auc
            self.featureCount = featureCount
            self.trainingRows = trainingRows
            self.trainingFile = trainingFile
        }

        /// The summary of a model file; features are its numeric and categorical columns.
        public init(model: ChurnModel, hash: String) {
            self.init(hash: hash, createdAt: model.createdAt, accuracy: model.training.metrics.accuracy,
                      auc: model.training.metrics.auc, featureCount: model.numeric.count + model.categorical.count,
                      trainingRows: model.training.rows, trainingFile: model.training.data.file)
        }
    }

    /// How the run went.
    public struct Run: Sendable {
        /// The run's id in the run store, when it was stored.
        public var id: Int64?
        public var workers: Int
        public var durationSeconds: Double
        public var rowsPerSecond: Double
        public var rankBy: RankBy

        public init(id: Int64? = nil, workers: Int, durationSeconds: Double, rowsPerSecond: Double, rankBy: RankBy) {
            self.id = id
            self.workers = workers
            self.durationSeconds = durationSeconds
            self.rowsPerSecond = rowsPerSecond
            self.rankBy = rankBy
        }
    }
}
