import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import ChurnReport
import Foundation

/// Runs one job on the calling thread, start to end: model, input, results file (committed only
/// when complete), history, summary, summary JSON, report. Every product of a job is made here, once.
struct JobRunner {
    let job: ScoringJob
    let request: ScoringJobRequest
    /// The file to score (the spooled copy for an upload) and the name to show for it.
    let inputPath: String
    let inputName: String
    let resultsPath: String
    let databasePath: String

    /// Progress events at most this often (the last reading always goes out at the end).
    private static let progressInterval = 0.1

    func run() throws -> JobOutcome {
        guard request.top >= 0 else { throw ServiceError("top must be 0 or more") }
        var loaded: ModelFile.Loaded
        let modelPath: String
        switch request.model {
        case let .file(path, policyPath):
            // A path may name the model registry (`@champion`, `@N`), kept in the history database.
            let resolved = try ModelReference(argument: path).resolve(registryPath: databasePath, policyPath: policyPath)
            loaded = resolved.loaded
            modelPath = resolved.name
        }
        if let thresholds = request.riskThresholds { loaded = try loaded.overriding(thresholds: thresholds) }
        let compiled = try CompiledModel(loaded.model)
        if request.rankBy == .revenue && loaded.model.revenueColumn == nil {
            throw ServiceError("ranking by revenue needs a revenue column, and \(modelPath) has none (train with --revenue COL)")
        }
        guard FileManager.default.fileExists(atPath: inputPath) else { throw ServiceError("\(inputName): No such file") }
        if job.isCancelled { throw job.cancellation }
        var reads = [("the input", inputPath)]
        if case let .file(path, _) = request.model, case .file = try ModelReference(argument: path) { reads.append(("the model", path)) }
        if case let .file(_, policyPath?) = request.model { reads.append(("the policy", policyPath)) }
        if request.history.enabled { reads.append(("the history database", databasePath)) }
        var writes = [("results", resultsPath)]
        if let path = request.outputs.summaryJSON { writes.append(("summary JSON", path)) }
        if let path = request.outputs.report { writes.append(("report", path)) }
        try OutputPaths.check(inputs: reads, outputs: writes)
        // Every output goes to a temporary file first and is moved into place only once the whole
        // job has succeeded, results last: a failed or cancelled job leaves none of them.
        let results = try OutputFile(path: resultsPath)
        let summaryFile = try request.outputs.summaryJSON.map { try OutputFile(path: $0) }
        let reportFile = try request.outputs.report.map { try OutputFile(path: $0) }
        defer {
            results.abort()  // each does nothing once committed
            summaryFile?.abort()
            reportFile?.abort()
        }

        let history = request.history.enabled
            ? try RunHistory(path: databasePath, inputPath: inputPath, modelPath: modelPath, model: loaded, compiled: compiled,
                             rankBy: request.rankBy)
            : nil
        if let history { job.setHistoryRunId(history.runId) }
        let started = Date()
        do {
            let (aggregate, inputBytes, engine, workers) = try score(compiled: compiled, loaded: loaded, history: history, output: results,
                                                                     started: started)
            var summary = RunSummary(input: inputName, inputBytes: inputBytes, output: resultsPath, model: modelPath,
                                     modelHash: loaded.hashHex, rankBy: request.rankBy, engine: engine,
                                     seconds: Date().timeIntervalSince(started), aggregate: aggregate,
                                     revenueColumn: loaded.model.revenueColumn, driftModel: loaded.model)
            summary.currency = request.currencySymbol ?? loaded.currency
            if let history {
                summary.runId = history.runId
                summary.newlyHighRisk = try history.finish(summaryJSON: String(decoding: try summary.jsonData(), as: UTF8.self),
                                                           aggregate: aggregate)
            }
            if let summaryFile { try summaryFile.write([UInt8](try summary.jsonData())) }
            if let reportFile {
                let html = HTMLReport.render(ReportInput(
                    title: "Churn risk report: \((inputName as NSString).lastPathComponent)",
                    input: .init(name: (inputName as NSString).lastPathComponent, bytes: Int64(inputBytes),
                                 fingerprint: (try? RunHistory.quickFingerprint(path: inputPath).text) ?? ""),
                    model: .init(model: loaded.model, hash: loaded.hashHex),
                    run: .init(id: history?.runId, workers: workers, durationSeconds: summary.seconds,
                               rowsPerSecond: summary.rowsPerSecond, rankBy: request.rankBy),
                    aggregate: aggregate, newlyHighRisk: summary.newlyHighRisk ?? [],
                    previousRun: history?.previousRun.map { "run \($0.id) of \($0.startedAt)" },
                    currencySymbol: summary.currencySymbol,
                    sender: .init(company: request.emailCompany ?? loaded.email?.company, name: request.emailSender ?? loaded.email?.sender),
                    audience: loaded.model.looksLikeBusinessAccounts ? .business : .consumer,
                    hasRevenue: loaded.model.revenueColumn != nil))
                try reportFile.write(Array(html.utf8))
            }
            if job.isCancelled { throw job.cancellation }
            try summaryFile?.commit()
            try reportFile?.commit()
            try results.commit()
            return JobOutcome(resultsPath: resultsPath, summary: summary, historyRunId: history?.runId,
                              historyPath: history?.store.path, reportPath: request.outputs.report,
                              summaryJSONPath: request.outputs.summaryJSON)
        } catch {
            let final: Error = job.isCancelled ? job.cancellation : error
            history?.fail(final)
            throw final
        }
    }

    /// Opens the input and the results file and runs the engine; the results file is committed
    /// only when every chunk was written.
    private func score(compiled: CompiledModel, loaded: ModelFile.Loaded, history: RunHistory?, output: OutputFile,
                       started: Date) throws -> (ScoreAggregate, Int, String, Int) {
        // A spreadsheet becomes a temporary CSV; cancelling removes it at once, even mid-conversion.
        let temporaryCSV = InputFiles.isXLSX(inputPath) ? InputFiles.temporaryCSVPath() : nil
        if let temporaryCSV { job.onCancel { unlink(temporaryCSV) } }
        let (reader, cleanup) = try InputFiles.openChunks(path: inputPath, sheet: request.sheet, chunkSize: request.chunkBytes,
                                                          temporaryCSV: temporaryCSV)
        defer { cleanup() }
        try output.write(Array(ResultCSVFormatter.header(idColumn: compiled.model.idColumn).utf8))
        let job = self.job
        let consume: (ScoredChunk) throws -> Void = { chunk in
            if job.isCancelled { throw job.cancellation }
            try output.write(chunk.csv)
            if let rows = chunk.history { try history?.record(rows) }
        }
        let throttle = ProgressThrottle(interval: Self.progressInterval)
        let aggregate: ScoreAggregate
        let engine: String
        let workers: Int
        switch request.engine {
        case .inProcess(let threads):
            let threads = max(1, threads)
            engine = "in-process, \(threads) thread\(threads == 1 ? "" : "s")"
            workers = 0
            job.setEngine(engine, inputName: inputName)
            job.publish(.started(JobStarted(jobId: job.id, inputName: inputName, inputBytes: reader.fileSize, engine: engine)))
            let scorer = LocalScorer(model: compiled, rankBy: request.rankBy, topLimit: request.top, threads: threads)
            scorer.recording = history?.recording
            aggregate = try scorer.run(reader: reader, consume: consume) { p in
                if throttle.due() { job.publish(.progress(JobProgress(p))) }
            }
        case .pool(let pool):
            workers = pool.endpoints.count
            let starting = "cluster, \(pool.summary)"
            job.setEngine(starting, inputName: inputName)
            job.publish(.started(JobStarted(jobId: job.id, inputName: inputName, inputBytes: reader.fileSize, engine: starting)))
            let settings = WorkerPool.JobSettings(model: compiled, modelBytes: loaded.bytes, modelHash: loaded.sha256,
                                                  rankBy: request.rankBy, topLimit: request.top, recording: history?.recording)
            let resends = ResendCounter()
            let (total, report) = try pool.score(reader: reader, settings: settings, consume: consume, progress: { p, r in
                if resends.changed(r) {
                    job.publish(.shardResent(ShardResent(totalResends: r.resends, speculative: r.speculativeSends, poison: r.poisonShards)))
                }
                if throttle.due() { job.publish(.progress(JobProgress(p))) }
            }, cancel: { stop in job.onCancel(stop) })
            aggregate = total
            var text = starting
            if report.resends + report.speculativeSends + report.poisonShards > 0 {
                text += "; \(report.resends) shards re-sent, \(report.speculativeSends) speculative, \(report.poisonShards) poison"
            }
            engine = text
        }
        if job.isCancelled { throw job.cancellation }
        job.publish(.progress(JobProgress(rowsScored: aggregate.rowsScored, rowsRejected: aggregate.rowsRejected,
                                          bytesRead: reader.fileSize, totalBytes: reader.fileSize,
                                          seconds: Date().timeIntervalSince(started), workersLive: 0)))
        return (aggregate, reader.fileSize, engine, workers)
    }
}

extension JobProgress {
    init(_ p: ScoreProgress) {
        self.init(rowsScored: p.rowsScored, rowsRejected: p.rowsRejected, bytesRead: p.bytesRead, totalBytes: p.totalBytes,
                  seconds: p.elapsed, workersLive: p.workersAlive)
    }
}

/// Lets one progress reading through per interval (called from the engine's writer thread).
private final class ProgressThrottle: @unchecked Sendable {  // `last` guarded by `lock`
    private let interval: Double
    private let lock = NSLock()
    private var last = Date.distantPast
    init(interval: Double) { self.interval = interval }
    func due() -> Bool {
        lock.withLock {
            let now = Date()
            guard now.timeIntervalSince(last) >= interval else { return false }
            last = now
            return true
        }
    }
}

/// Notices when a pool job's re-send counters grow.
private final class ResendCounter: @unchecked Sendable {  // `seen` guarded by `lock`
    private let lock = NSLock()
    private var seen = 0
    func changed(_ r: WorkerPool.JobReport) -> Bool {
        lock.withLock {
            let total = r.resends + r.speculativeSends + r.poisonShards
            defer { seen = total }
            return total > seen
        }
    }
}

/// A job that cannot run as asked (bad options, unwritable output): the message names the culprit.
public struct ServiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
