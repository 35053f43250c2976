import ChurnCoordinator
import ChurnService
import Foundation
import Hummingbird

/// `ScoringJobs` over ChurnService's `ScoringService`: every upload becomes a service job recording
/// into the data directory's history; the history run id names it in every route. Once a job
/// succeeded its results and report are moved to `results/<run id>.csv` and `reports/<run id>.html`,
/// so they outlive the process. Only the latest `finishedRunsKept` finished runs stay in memory (older
/// ones are read from the history like any earlier run), so a long-lived server does not grow with
/// every run; `counts()` keeps the totals.
public final class ServiceJobs: ScoringJobs, @unchecked Sendable {  // `entries`, `totals` guarded by `lock`
    private let service: ScoringService
    private let engine: ScoringJobRequest.Engine
    private let workerPool: WorkerPool?
    private let configuration: ServerConfiguration
    private let lock = NSLock()
    private var entries: [Int64: Entry] = [:]
    private var totals = JobCounts()
    private let finishedRunsKept: Int
    private var draining = false

    private final class Entry: @unchecked Sendable {  // `final` guarded by the owner's lock
        let job: ScoringJob
        let upload: UploadedFile
        var final: LiveRun?
        init(job: ScoringJob, upload: UploadedFile) {
            self.job = job
            self.upload = upload
        }
    }

    /// - Parameters:
    ///   - pool: the worker pool to score on (shared by every job), or nil to score in this process.
    ///   - finishedRunsKept: finished runs whose live state is kept (running ones always are).
    public init(configuration: ServerConfiguration, pool: WorkerPool?, threads: Int, finishedRunsKept: Int = 100) {
        self.configuration = configuration
        self.finishedRunsKept = max(0, finishedRunsKept)
        workerPool = pool
        engine = pool.map { .pool($0) } ?? .inProcess(threads: max(1, threads))
        service = ScoringService(configuration: .init(dataDirectory: configuration.dataDirectory,
                                                      defaultDatabasePath: configuration.historyPath))
    }

    public func start(_ upload: UploadedFile, options: RunOptions) async throws -> Int64 {
        guard !lock.withLock({ draining }) else { throw HTTPError(.serviceUnavailable, message: "the server is shutting down") }
        let staging = configuration.resultsDirectory + "/job-\(UUID().uuidString.lowercased())"
        let job = try service.start(ScoringJobRequest(
            input: .file(path: upload.path), model: .file(path: configuration.modelPath), engine: engine,
            outputs: .init(results: staging + ".csv", report: staging + ".html"),
            history: .init(enabled: true, databasePath: configuration.historyPath),
            rankBy: options.rankBy, top: options.top, sheet: options.sheet, currencySymbol: configuration.currencySymbol))
        // The history run exists before the input is opened; wait for its id (or an early failure).
        while job.snapshot.historyRunId == nil && !job.state.isFinal {
            try? await Task.sleep(for: .milliseconds(5))
        }
        guard let runId = job.snapshot.historyRunId else {
            if case .failed(let message) = job.state { throw HTTPError(.unprocessableContent, message: message) }
            throw HTTPError(.internalServerError, message: "the scoring job ended before it started")
        }
        let entry = Entry(job: job, upload: upload)
        lock.withLock {
            entries[runId] = entry
            totals.started += 1
        }
        Task.detached { [self] in await finalize(runId, entry) }
        return runId
    }

    /// After the job: products under their run id, the upload removed, the final state kept.
    private func finalize(_ runId: Int64, _ entry: Entry) async {
        var final = live(entry, runId: runId)
        do {
            let outcome = try await entry.job.outcome
            let results = configuration.resultsDirectory + "/\(runId).csv"
            let report = configuration.reportsDirectory + "/\(runId).html"
            try? FileManager.default.removeItem(atPath: results)
            try FileManager.default.moveItem(atPath: outcome.resultsPath, toPath: results)
            if let path = outcome.reportPath {
                try? FileManager.default.removeItem(atPath: report)
                try? FileManager.default.moveItem(atPath: path, toPath: report)
            }
            final.status = .succeeded
            final.resultsPath = results
            final.reportPath = FileManager.default.fileExists(atPath: report) ? report : nil
            final.summaryJSON = try? outcome.summary.jsonData()
            final.rowsScored = outcome.summary.rowsScored
            final.rowsPerSecond = outcome.summary.rowsPerSecond
            final.bytesRead = Int64(outcome.summary.inputBytes)
        } catch is JobCancelled {
            final.status = .cancelled
            final.error = "cancelled"
        } catch {
            final.status = .failed
            final.error = "\(error)"
        }
        final.finishedAt = entry.job.snapshot.finishedAt ?? Date()
        // A succeeded run keeps its upload (Refresh scores it again); others leave nothing behind.
        if final.status != .succeeded, !entry.upload.keep {
            try? FileManager.default.removeItem(atPath: (entry.upload.path as NSString).deletingLastPathComponent)
        }
        lock.withLock {
            entry.final = final
            totals.record(final)
            forgetOldFinishedRuns()
        }
    }

    /// Drops the oldest finished runs past `finishedRunsKept`. Call with `lock` held.
    private func forgetOldFinishedRuns() {
        let finished = entries.filter { $0.value.final != nil }.keys.sorted()
        for runId in finished.prefix(max(0, finished.count - finishedRunsKept)) { entries[runId] = nil }
    }

    public func counts() -> JobCounts { lock.withLock { totals } }

    private func live(_ entry: Entry, runId: Int64) -> LiveRun {
        if let final = lock.withLock({ entry.final }) { return final }
        let info = entry.job.snapshot
        let p = info.progress
        return LiveRun(runId: runId, status: .running, inputName: entry.upload.name, inputBytes: entry.upload.bytes,
                       startedAt: info.startedAt, rowsScored: p?.rowsScored ?? 0, bytesRead: Int64(p?.bytesRead ?? 0),
                       rowsPerSecond: p?.rowsPerSecond ?? 0, workers: p?.workersLive ?? 0)
    }

    public func live(_ runId: Int64) -> LiveRun? {
        guard let entry = lock.withLock({ entries[runId] }) else { return nil }
        return live(entry, runId: runId)
    }

    public func liveRuns() -> [LiveRun] {
        let all = lock.withLock { entries.map { ($0.key, $0.value) } }
        return all.map { live($0.1, runId: $0.0) }.sorted { $0.runId > $1.runId }
    }

    public func cancel(_ runId: Int64) -> Bool {
        guard let entry = lock.withLock({ entries[runId] }), !entry.job.state.isFinal else { return false }
        entry.job.cancel()
        return true
    }

    public func updates(_ runId: Int64) -> AsyncStream<LiveRun>? {
        guard let entry = lock.withLock({ entries[runId] }) else { return nil }
        return AsyncStream(bufferingPolicy: .bufferingNewest(16)) { continuation in
            let task = Task { [self] in
                for await event in entry.job.events() {
                    if case .progress = event { continuation.yield(live(entry, runId: runId)) }
                }
                // The job is over; its final state comes once the products are in place.
                while lock.withLock({ entry.final }) == nil {
                    try? await Task.sleep(for: .milliseconds(20))
                    if Task.isCancelled { break }
                }
                continuation.yield(live(entry, runId: runId))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func pool() -> PoolSnapshot {
        guard let pool = workerPool else { return PoolSnapshot(mode: "in-process", workers: []) }
        return PoolSnapshot(mode: "pool", workers: pool.status().map { w in
            PoolSnapshot.Worker(address: w.endpoint, up: w.state == .ready || w.state == .draining, busy: w.inFlight > 0,
                                shardsDone: UInt64(max(0, w.shardsScored)),
                                detail: w.problem ?? "\(w.state.rawValue), \(w.rowsScored) rows, \(w.errors) errors"
                                    + (w.roundTripMs.map { String(format: ", rtt %.1f ms", $0) } ?? ""))
        })
    }

    public func drain(grace: Duration) async {
        let running = lock.withLock { () -> [(Int64, Entry)] in
            draining = true
            return entries.filter { $0.value.final == nil }.map { ($0.key, $0.value) }
        }
        let deadline = ContinuousClock.now + grace
        for (_, entry) in running {
            while lock.withLock({ entry.final }) == nil {
                if ContinuousClock.now >= deadline { entry.job.cancel(reason: "cancelled") }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        workerPool?.close()
    }
}
