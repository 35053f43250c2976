import ChurnCore
import Foundation

/// What the dashboard needs from the scoring service: start a run on an uploaded file, follow it,
/// cancel it, see the worker pool, drain on shutdown. `churn serve` passes an adapter over
/// ChurnService's `ScoringService`; the server never scores a file itself.
public protocol ScoringJobs: Sendable {
    /// Starts scoring `upload`; returns the run's id in the history (the id of every route).
    func start(_ upload: UploadedFile, options: RunOptions) async throws -> Int64
    /// A run this process started, running or among the latest finished ones, or nil (older runs are
    /// read from the history).
    func live(_ runId: Int64) -> LiveRun?
    /// The runs this process is running and the latest it finished, newest first.
    func liveRuns() -> [LiveRun]
    /// How many jobs this process started and finished since it started (for `/metrics`).
    func counts() -> JobCounts
    /// Asks a running run to stop; false when it is not running.
    func cancel(_ runId: Int64) -> Bool
    /// Snapshots of the run as it progresses, ending with its final state; nil for an unknown run.
    func updates(_ runId: Int64) -> AsyncStream<LiveRun>?
    /// The worker pool as the service sees it.
    func pool() -> PoolSnapshot
    /// Waits for running jobs to finish (or cancels them after `grace`), for SIGTERM.
    func drain(grace: Duration) async
}

/// How to score an upload (the query of `POST /api/v1/runs`).
public struct RunOptions: Sendable, Equatable {
    public var rankBy: RankBy
    public var top: Int
    public var sheet: String?

    public init(rankBy: RankBy = .combined, top: Int = 10, sheet: String? = nil) {
        self.rankBy = rankBy
        self.top = top
        self.sheet = sheet
    }
}

/// An upload stored on disk under the data directory (kept after a successful run, so that the run
/// can be refreshed with the current model).
public struct UploadedFile: Sendable, Equatable {
    /// Where the bytes are.
    public var path: String
    /// The file name the client gave (runs with equal names are "the same input").
    public var name: String
    public var bytes: Int64
    /// A file the server did not receive (a refresh of an earlier run's input): never removed.
    public var keep: Bool

    public init(path: String, name: String, bytes: Int64, keep: Bool = false) {
        self.path = path
        self.name = name
        self.bytes = bytes
        self.keep = keep
    }
}

/// Where a run stands, as the API names it.
public enum LiveStatus: String, Codable, Sendable {
    case running, succeeded, failed, cancelled
}

/// Jobs started and finished since the process started: counters that only grow, kept apart from
/// the runs themselves, which are forgotten once enough newer ones have finished.
public struct JobCounts: Sendable, Equatable {
    public var started: UInt64 = 0
    public var succeeded: UInt64 = 0
    public var failed: UInt64 = 0
    public var cancelled: UInt64 = 0
    /// Rows scored by the succeeded jobs.
    public var rowsScored: UInt64 = 0

    public init() {}

    /// Counts a finished run by its final status.
    public mutating func record(_ run: LiveRun) {
        switch run.status {
        case .succeeded:
            succeeded += 1
            rowsScored += run.rowsScored
        case .failed: failed += 1
        case .cancelled: cancelled += 1
        case .running: break
        }
    }

    /// The finished count of one status.
    public func finished(_ status: LiveStatus) -> UInt64 {
        switch status {
        case .succeeded: succeeded
        case .failed: failed
        case .cancelled: cancelled
        case .running: 0
        }
    }
}

/// A run's state as the service reports it.
public struct LiveRun: Sendable {
    public var runId: Int64
    public var status: LiveStatus
    public var inputName: String
    public var inputBytes: Int64
    public var startedAt: Date
    public var finishedAt: Date?
    public var rowsScored: UInt64
    public var bytesRead: Int64
    public var rowsPerSecond: Double
    public var workers: Int
    public var error: String?
    /// `RunSummary` JSON (as `churn score --summary-json`) once succeeded.
    public var summaryJSON: Data?
    /// The results CSV once succeeded.
    public var resultsPath: String?
    /// The HTML report once succeeded.
    public var reportPath: String?

    public init(runId: Int64, status: LiveStatus, inputName: String, inputBytes: Int64, startedAt: Date,
                finishedAt: Date? = nil, rowsScored: UInt64 = 0, bytesRead: Int64 = 0, rowsPerSecond: Double = 0,
                workers: Int = 0, error: String? = nil, summaryJSON: Data? = nil, resultsPath: String? = nil,
                reportPath: String? = nil) {
        self.runId = runId
        self.status = status
        self.inputName = inputName
        self.inputBytes = inputBytes
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rowsScored = rowsScored
        self.bytesRead = bytesRead
        self.rowsPerSecond = rowsPerSecond
        self.workers = workers
        self.error = error
        self.summaryJSON = summaryJSON
        self.resultsPath = resultsPath
        self.reportPath = reportPath
    }

    /// Share of the input read, 0…1.
    public var fraction: Double {
        if status == .succeeded { return 1 }
        return inputBytes > 0 ? min(1, Double(bytesRead) / Double(inputBytes)) : 0
    }
}

/// The worker pool: one row per worker.
public struct PoolSnapshot: Sendable, Codable {
    /// "in-process", "local" or "cluster".
    public var mode: String
    public var workers: [Worker]

    /// One worker as the pool sees it.
    public struct Worker: Sendable, Codable {
        public var address: String
        public var up: Bool
        public var busy: Bool
        public var shardsDone: UInt64
        public var detail: String?

        public init(address: String, up: Bool, busy: Bool, shardsDone: UInt64, detail: String? = nil) {
            self.address = address
            self.up = up
            self.busy = busy
            self.shardsDone = shardsDone
            self.detail = detail
        }
    }

    public init(mode: String, workers: [Worker]) {
        self.mode = mode
        self.workers = workers
    }
}
