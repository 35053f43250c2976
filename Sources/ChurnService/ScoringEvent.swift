import ChurnEngine
import Foundation

/// What a job reports as it goes, in order: `started`, any number of `progress` and
/// `shardResent`, then exactly one of `finished`, `failed` or `cancelled`.
public enum ScoringEvent: Sendable {
    case started(JobStarted)
    case progress(JobProgress)
    /// Shards went to another worker (their worker was lost, drained, or slow).
    case shardResent(ShardResent)
    case finished(JobOutcome)
    case failed(message: String)
    case cancelled
}

/// The job has opened its input and started scoring.
public struct JobStarted: Sendable {
    public var jobId: Int
    /// The input as the user named it (the upload's file name for an upload).
    public var inputName: String
    public var inputBytes: Int
    /// "in-process, 2 threads" or "pool, 3 workers".
    public var engine: String
}

/// A progress reading.
public struct JobProgress: Sendable, Equatable {
    public var rowsScored: UInt64
    public var rowsRejected: UInt64
    public var bytesRead: Int
    public var totalBytes: Int
    public var seconds: Double
    public var rowsPerSecond: Double
    /// Scoring threads (in process) or workers connected (pool).
    public var workersLive: Int

    public init(rowsScored: UInt64, rowsRejected: UInt64, bytesRead: Int, totalBytes: Int, seconds: Double, workersLive: Int) {
        self.rowsScored = rowsScored
        self.rowsRejected = rowsRejected
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.seconds = seconds
        self.rowsPerSecond = seconds > 0 ? Double(rowsScored) / seconds : 0
        self.workersLive = workersLive
    }

    /// Share of the input read, 0…1.
    public var fraction: Double { totalBytes > 0 ? min(1, Double(bytesRead) / Double(totalBytes)) : 0 }
}

/// Shards re-sent so far in this job (a running total, with the latest addition).
public struct ShardResent: Sendable {
    public var totalResends: Int
    public var speculative: Int
    public var poison: Int
}

/// What a finished job produced.
public struct JobOutcome: Sendable {
    /// The per-customer results CSV (complete; it only appears once the job succeeded).
    public var resultsPath: String
    /// The same object `churn score --summary-json` writes.
    public var summary: RunSummary
    /// The history run id (nil with history off).
    public var historyRunId: Int64?
    /// The history file (nil with history off).
    public var historyPath: String?
    public var reportPath: String?
    public var summaryJSONPath: String?
}

/// Where a job is in its life.
public enum JobState: Sendable, Equatable {
    case running
    case succeeded
    case failed(String)
    case cancelled

    public var isFinal: Bool { self != .running }
}

/// One line of `ScoringService.jobs()`.
public struct JobInfo: Sendable {
    public var id: Int
    public var inputName: String
    public var engine: String
    public var state: JobState
    public var startedAt: Date
    public var finishedAt: Date?
    /// The latest progress reading (nil before the first).
    public var progress: JobProgress?
    public var historyRunId: Int64?
}

/// The error a cancelled job's `outcome` throws.
public struct JobCancelled: Error, CustomStringConvertible {
    /// Why, as given to `cancel(reason:)`; recorded as the history run's error.
    public var reason: String
    public init(reason: String = "cancelled") { self.reason = reason }
    public var description: String { reason }
}
