import ChurnCore
import ChurnCoordinator
import Foundation

/// Everything one scoring job needs: what to score, with which model, on which engine, and where
/// its products go. A value: build it, then hand it to `ScoringService.start(_:)`.
public struct ScoringJobRequest: Sendable {
    /// What to score.
    public enum Input: Sendable {
        /// A CSV or XLSX file already on disk.
        case file(path: String)
        /// Bytes arriving from elsewhere (an HTTP upload): spooled to the service's data directory
        /// under `fileName` (its extension decides CSV or XLSX) before scoring starts.
        case upload(fileName: String, bytes: AsyncThrowingStream<[UInt8], Error>)
    }

    /// Which model scores it.
    public enum Model: Sendable {
        /// A model file, with an optional policy file overriding health, interventions or thresholds.
        /// `@champion` or `@N` names a model of the registry in the job's history database.
        case file(path: String, policyPath: String? = nil)
    }

    /// Where the scoring runs.
    public enum Engine: Sendable {
        /// In this process on `threads` threads.
        case inProcess(threads: Int)
        /// On a worker pool (which outlives the job; several jobs may share it).
        case pool(WorkerPool)
    }

    /// Where the job's products go. A nil results path means a file in the data directory.
    public struct Outputs: Sendable {
        public var results: String?
        public var report: String?
        public var summaryJSON: String?
        public init(results: String? = nil, report: String? = nil, summaryJSON: String? = nil) {
            self.results = results
            self.report = report
            self.summaryJSON = summaryJSON
        }
    }

    /// Whether and where the run and its predictions are recorded.
    public struct History: Sendable {
        public var enabled: Bool
        /// The SQLite file; nil means the service's default (see `ScoringService.Configuration`).
        public var databasePath: String?
        public init(enabled: Bool = true, databasePath: String? = nil) {
            self.enabled = enabled
            self.databasePath = databasePath
        }
        public static let off = History(enabled: false)
    }

    public var input: Input
    public var model: Model
    public var engine: Engine
    public var outputs: Outputs
    public var history: History
    /// Ranking of the summary's top list.
    public var rankBy: RankBy
    /// How many of the riskiest customers the summary lists.
    public var top: Int
    /// Worksheet of an XLSX input (nil: the first).
    public var sheet: String?
    /// Risk cut points overriding the model's (and its policy file's), e.g. from a dashboard slider.
    public var riskThresholds: RiskThresholds?
    /// Bytes per chunk (in process) or shard (on a pool).
    public var chunkBytes: Int
    /// Company named in the report's e-mail drafts (nil: the policy file's `email.company`).
    public var emailCompany: String?
    /// Who signs the report's e-mail drafts (nil: the policy file's `email.sender`).
    public var emailSender: String?
    /// The symbol before money amounts (nil: the policy file's `currency`, else "$").
    public var currencySymbol: String?

    public init(input: Input, model: Model, engine: Engine, outputs: Outputs = Outputs(), history: History = History(),
                rankBy: RankBy = .combined, top: Int = 10, sheet: String? = nil, riskThresholds: RiskThresholds? = nil,
                chunkBytes: Int = 1 << 20, emailCompany: String? = nil, emailSender: String? = nil,
                currencySymbol: String? = nil) {
        self.input = input
        self.model = model
        self.engine = engine
        self.outputs = outputs
        self.history = history
        self.rankBy = rankBy
        self.top = top
        self.sheet = sheet
        self.riskThresholds = riskThresholds
        self.chunkBytes = chunkBytes
        self.emailCompany = emailCompany
        self.emailSender = emailSender
        self.currencySymbol = currencySymbol
    }
}
