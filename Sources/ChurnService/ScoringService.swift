import ChurnCoordinator
import ChurnCore
import ChurnEngine
import Foundation

/// The scoring service: what every front end (the `churn score` CLI, the `churn serve` dashboard)
/// sits on. A *job* is input + model + engine + options; the service produces its results file,
/// history run, summary (the `--summary-json` object) and HTML report, once, in one place.
///
/// API (stable; later changes only add):
///
/// - `ScoringService(configuration:)`: `dataDirectory` (uploads are spooled to `uploads/`, results
///   without an explicit path go to `results/`) and `defaultDatabasePath` (the history file).
/// - `start(_ request: ScoringJobRequest) throws -> ScoringJob`: returns at once; the job runs on a
///   thread of its own. Fails early only on a request that cannot be valid (e.g. `top < 0`).
/// - `ScoringJobRequest`: `input` (`.file(path:)` or `.upload(fileName:bytes:)`, an
///   `AsyncThrowingStream<[UInt8], Error>` spooled to the data directory), `model`
///   (`.file(path:policyPath:)`), `engine` (`.inProcess(threads:)` or `.pool(WorkerPool)`),
///   `outputs` (results / report / summaryJSON paths), `history` (enabled, databasePath), `rankBy`,
///   `top`, `sheet`, `riskThresholds` (cut-point overrides), `chunkBytes`, `emailCompany`,
///   `emailSender` (the report's e-mail drafts). Outputs are checked before anything is written
///   (`OutputPaths`: none may overwrite an input or another output) and appear only when the whole
///   job succeeded.
/// - `ScoringJob`: `id`; `events()` → `AsyncStream<ScoringEvent>` (`.started`, `.progress` (rows,
///   bytes, rows/s, workers live), `.shardResent`, then one of `.finished(JobOutcome)`,
///   `.failed(message:)`, `.cancelled`; each new stream first replays the latest state);
///   `cancel()`; `outcome` (async) or `wait()` (blocking) → `JobOutcome` (resultsPath, summary,
///   historyRunId, historyPath, reportPath, summaryJSONPath), throwing the job's error
///   (`JobCancelled` after `cancel()`); `snapshot` → `JobInfo`; `state` → `JobState`.
/// - `jobs()` → `[JobInfo]` (the running jobs and the latest finished ones, oldest first; the
///   service forgets finished jobs past `Configuration.finishedJobsKept`); `job(id:)`.
/// - `WorkerPool` (ChurnCoordinator): `WorkerPool(endpoints:secret:logger:)` or
///   `.startingLocalWorkers(count:executable:secretFile:threadsEach:logger:)`; `close()` stops local
///   workers. Share one pool between jobs by passing it in each request; `status()` →
///   `[PoolWorkerStatus]` (state, in flight, shards and rows scored, errors, round trip,
///   handshakes, model uploads) for a live status page.
///
/// Usage:
/// ```swift
/// let service = ScoringService(configuration: .init(dataDirectory: "/var/lib/churn",
///                                                   defaultDatabasePath: "/var/lib/churn/history.sqlite"))
/// let job = try service.start(ScoringJobRequest(
///     input: .file(path: "customers.csv"), model: .file(path: "model.json"),
///     engine: .inProcess(threads: 2), outputs: .init(results: "scores.csv", report: "report.html")))
/// for await event in job.events() {
///     if case .progress(let p) = event { print(p.rowsScored, p.rowsPerSecond) }
/// }
/// let outcome = try await job.outcome   // outcome.summary.riskDistribution.high, outcome.historyRunId, …
/// ```
///
/// Threads: each job runs its engine on a thread of its own (in-process: plus scoring and writer
/// threads; pool: the pool's loop thread). Events are yielded from those threads.
public final class ScoringService: @unchecked Sendable {  // `jobsById`, `order`, `nextId` guarded by `lock`
    /// Where the service keeps files.
    public struct Configuration: Sendable {
        /// Uploads are spooled to `<dataDirectory>/uploads`, default results go to `<dataDirectory>/results`.
        public var dataDirectory: String
        /// The history file used when a request does not name one.
        public var defaultDatabasePath: String
        /// Finished jobs remembered for `jobs()` and `job(id:)`; older ones are forgotten as new
        /// jobs start (their runs stay in the history), so a long-lived service stays bounded.
        /// Running jobs are always kept.
        public var finishedJobsKept: Int

        public init(dataDirectory: String, defaultDatabasePath: String, finishedJobsKept: Int = 100) {
            self.dataDirectory = dataDirectory
            self.defaultDatabasePath = defaultDatabasePath
            self.finishedJobsKept = max(0, finishedJobsKept)
        }
    }

    public let configuration: Configuration
    private let lock = NSLock()
    private var jobsById: [Int: ScoringJob] = [:]
    private var order: [Int] = []
    private var nextId = 1

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Starts a job; it runs on a thread of its own. See the type's comment.
    public func start(_ request: ScoringJobRequest) throws -> ScoringJob {
        guard request.top >= 0 else { throw ServiceError("top must be 0 or more") }
        guard request.chunkBytes > 0 else { throw ServiceError("chunk size must be positive") }
        let id: Int = lock.withLock {
            defer { nextId += 1 }
            return nextId
        }
        let inputName: String
        switch request.input {
        case .file(let path): inputName = path
        case .upload(let fileName, _): inputName = fileName
        }
        let job = ScoringJob(id: id, inputName: inputName, engine: Self.engineName(request.engine))
        lock.withLock {
            forgetOldFinishedJobsLocked()
            jobsById[id] = job
            order.append(id)
        }
        let configuration = self.configuration
        let resultsPath = request.outputs.results ?? "\(configuration.dataDirectory)/results/job-\(id)-\(ProcessInfo.processInfo.processIdentifier).csv"
        let databasePath = request.history.databasePath ?? configuration.defaultDatabasePath

        let runOnThread: @Sendable (String, (@Sendable () -> Void)?) -> Void = { inputPath, cleanup in
            let thread = Thread {
                let result = Result {
                    if request.outputs.results == nil {
                        try FileManager.default.createDirectory(atPath: "\(configuration.dataDirectory)/results",
                                                                withIntermediateDirectories: true)
                    }
                    return try JobRunner(job: job, request: request, inputPath: inputPath, inputName: inputName,
                                         resultsPath: resultsPath, databasePath: databasePath).run()
                }
                cleanup?()  // before anyone waiting on the job wakes up
                job.complete(result)
            }
            thread.name = "churn-job-\(id)"
            thread.stackSize = 1 << 20
            thread.start()
        }

        switch request.input {
        case .file(let path):
            runOnThread(path, nil)
        case let .upload(fileName, bytes):
            let directory = "\(configuration.dataDirectory)/uploads"
            Task.detached {
                do {
                    let path = try await UploadSpool.spool(bytes, fileName: fileName, directory: directory, jobId: id,
                                                           isCancelled: { job.isCancelled })
                    if job.isCancelled {
                        UploadSpool.remove(path)
                        job.complete(.failure(job.cancellation))
                        return
                    }
                    runOnThread(path, { UploadSpool.remove(path) })
                } catch {
                    job.complete(.failure(job.isCancelled ? job.cancellation : error))
                }
            }
        }
        return job
    }

    /// Drops the oldest finished jobs past `finishedJobsKept`. Call with `lock` held.
    private func forgetOldFinishedJobsLocked() {
        let finished = order.filter { jobsById[$0]?.state.isFinal == true }
        let excess = finished.count - configuration.finishedJobsKept
        guard excess > 0 else { return }
        let forgotten = Set(finished.prefix(excess))
        order.removeAll { forgotten.contains($0) }
        for id in forgotten { jobsById[id] = nil }
    }

    /// The running jobs and the latest finished ones (see `Configuration.finishedJobsKept`), oldest first.
    public func jobs() -> [JobInfo] {
        let all = lock.withLock { order.compactMap { jobsById[$0] } }
        return all.map(\.snapshot)
    }

    /// The job with this id, if this service started it.
    public func job(id: Int) -> ScoringJob? {
        lock.withLock { jobsById[id] }
    }

    private static func engineName(_ engine: ScoringJobRequest.Engine) -> String {
        switch engine {
        case .inProcess(let threads): return "in-process, \(threads) thread\(threads == 1 ? "" : "s")"
        case .pool(let pool): return "cluster, \(pool.summary)"
        }
    }
}
