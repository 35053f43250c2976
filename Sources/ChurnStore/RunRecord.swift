import ChurnCore
import Foundation

/// Where a run stands. Only `succeeded` runs count as history.
public enum RunStatus: String, Codable, Sendable {
    case running
    case succeeded
    case failed
}

/// What is known when a run starts.
public struct RunStart: Sendable {
    public var startedAt: Date
    /// The input file as given (path or upload name).
    public var inputPath: String
    /// The file name alone; runs with equal names are "the same file" for comparisons.
    public var inputName: String
    public var inputBytes: Int64
    /// e.g. the FNV-1a 64 hex digest of the input's bytes.
    public var inputFingerprint: String
    public var modelHash: String
    public var modelPath: String
    public var rankBy: RankBy

    /// - Parameters:
    ///   - inputName: defaults to the last path component of `inputPath`.
    public init(inputPath: String, inputName: String? = nil, inputBytes: Int64, inputFingerprint: String,
                modelHash: String, modelPath: String, rankBy: RankBy, startedAt: Date = Date()) {
        self.startedAt = startedAt
        self.inputPath = inputPath
        self.inputName = inputName ?? URL(fileURLWithPath: inputPath).lastPathComponent
        self.inputBytes = inputBytes
        self.inputFingerprint = inputFingerprint
        self.modelHash = modelHash
        self.modelPath = modelPath
        self.rankBy = rankBy
    }
}

/// One row of `runs`.
public struct RunRecord: Equatable, Sendable {
    public var id: Int64
    public var startedAt: Date
    public var finishedAt: Date?
    public var status: RunStatus
    /// Why a failed run failed.
    public var error: String?
    public var inputPath: String
    public var inputName: String
    public var inputBytes: Int64
    public var inputFingerprint: String
    public var modelHash: String
    public var modelPath: String
    /// `RankBy.rawValue` as stored.
    public var rankBy: String
    public var rowsScored: UInt64?
    public var rowsRejected: UInt64?
    /// The run's summary as its recorder gave it, set when it succeeded: for `churn score` and
    /// `churn serve`, the `--summary-json` object. The store keeps it as text and never reads it.
    public var summaryJSON: String?
}

/// One customer's score in one succeeded run.
public struct CustomerScore: Equatable, Sendable {
    public var runId: Int64
    public var runStartedAt: Date
    public var runFinishedAt: Date?
    public var inputName: String
    public var line: UInt64
    public var customerId: String
    public var probability: Double
    public var riskScore: Int
    public var riskLevel: RiskLevel
    public var health: Int
    /// Strongest first; at most three.
    public var drivers: [DriverImpact]
    public var intervention: String
    /// The row's value of each categorical feature of its run, in the model's order (a level,
    /// `CategoryLevels.blankLabel` or `unseenLabel`); empty when the run has no category data.
    public var categoryValues: [CategoryValue] = []
}

/// A customer's value of one categorical feature, as its run recorded it.
public struct CategoryValue: Equatable, Sendable {
    public var feature: String
    public var value: String
}
