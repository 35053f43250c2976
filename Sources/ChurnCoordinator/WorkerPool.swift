import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnIO
import ChurnTransport
import ChurnWire
import Foundation
import Logging

/// A long-lived set of worker connections that scoring jobs run on. Connections are opened once
/// and kept (heartbeats; reconnect with backoff after a loss); each model is uploaded once per
/// connection; concurrent jobs take turns for the workers' credit; cancelling a job cancels its
/// shards on the workers. Made from addresses (remote workers) or by starting `--local N` worker
/// processes, which `close()` stops.
///
/// Threading: one libuv loop thread (started by `init`) owns every connection and the dispatch
/// state; jobs run `score` on their own threads and post to the loop.
public final class WorkerPool: @unchecked Sendable {  // `local`, `temporarySecret`, `closed`, `nextJobId` guarded by `lock`
    /// Timeouts and thresholds of a pool.
    public struct Options: Sendable {
        /// A worker silent this long is dropped (heartbeats go every 0.5 s).
        public var heartbeatTimeout: Duration
        /// A shard lost with this many workers is poison: reported and skipped.
        public var poisonThreshold: Int
        /// With every worker down this long during a job, the job fails.
        public var allDownGrace: Duration
        /// Shards read and not yet written, per job (bounds memory: each holds its bytes and, once
        /// back, its result, about 2.5 times the shard). 0: the workers' default credit windows
        /// (4 each) plus 8, at least 16 (16 for two workers, 48 for ten); for workers started on
        /// this machine alone (`startingLocalWorkers`), plus 2 (10 for two workers): their round
        /// trips take microseconds, so little slack keeps them busy, and the coordinator shares
        /// their machine's memory (each shard in flight is about 3 MB in the coordinator).
        public var maxOutstandingShards: Int
        public init(heartbeatTimeout: Duration = .seconds(5), poisonThreshold: Int = 3, allDownGrace: Duration = .seconds(10),
                    maxOutstandingShards: Int = 0) {
            self.heartbeatTimeout = heartbeatTimeout
            self.poisonThreshold = poisonThreshold
            self.allDownGrace = allDownGrace
            self.maxOutstandingShards = maxOutstandingShards
        }
    }

    public let endpoints: [WorkerEndpoint]
    public let secret: [UInt8]?
    public let options: Options
    let logger: Logger
    private let loop: EventLoop
    /// Created on the loop thread by `init` and used there only.
    private let dispatcherBox = DispatcherBox()
    private let board = PoolStatusBoard()
    private let lock = NSLock()
    /// Held for the whole of `close()`.
    private let closing = NSLock()
    private var local: LocalWorkers?
    private var temporarySecret: String?
    /// Where this pool's `--local` workers write their results; removed on `close()`.
    private var spool: ResultSpoolDirectory?
    private var closed = false
    private var nextJobId = 1

    /// A pool of workers already running at `endpoints`; connecting starts at once.
    public convenience init(endpoints: [WorkerEndpoint], secret: [UInt8]?, options: Options = Options(), logger: Logger) throws {
        try self.init(endpoints: endpoints, secret: secret, options: options, logger: logger, localSpool: nil)
    }

    /// - Parameter localSpool: workers this pool started, and the spool directory and input file they were given.
    init(endpoints: [WorkerEndpoint], secret: [UInt8]?, options: Options, logger: Logger,
         localSpool: LocalWorkerFiles?) throws {
        guard !endpoints.isEmpty else { throw ClusterError.configuration("a worker pool needs at least one worker") }
        self.endpoints = endpoints
        self.secret = secret
        self.options = options
        self.logger = logger
        loop = try EventLoop()
        loop.startOnNewThread(name: "churn-pool-loop")
        let (box, board, loop) = (dispatcherBox, self.board, self.loop)
        _ = loop.execute {
            let dispatcher = PoolDispatcher(loop: loop, logger: logger, endpoints: endpoints, secret: secret,
                                            heartbeatTimeout: options.heartbeatTimeout, poisonThreshold: options.poisonThreshold,
                                            allDownGrace: options.allDownGrace, board: board, localSpool: localSpool)
            box.dispatcher = dispatcher
            dispatcher.start()
        }
    }

    /// Starts `count` worker processes on this machine (`executable worker --listen 127.0.0.1:0 …`)
    /// and makes a pool of them; `close()` stops them.
    /// - Parameters:
    ///   - executable: the `churn` executable to start as workers.
    ///   - secretFile: the shared secret; nil makes a temporary one (removed on `close()`).
    ///   - extraEndpoints: remote workers to use as well.
    ///   - inputFile: the one file the workers may read shards from (`--input-file`; protocol version
    ///     6): a job reading exactly this file, unchanged, sends its shards as byte ranges of it
    ///     rather than their bytes. Nil, or a file that is not a regular file: shards carry their rows.
    public static func startingLocalWorkers(count: Int, executable: String, secretFile: String?, threadsEach: Int,
                                            extraEndpoints: [WorkerEndpoint] = [], inputFile: String? = nil,
                                            options: Options = Options(), logger: Logger) throws -> WorkerPool {
        guard count >= 1 else { throw ClusterError.configuration("--local needs at least 1 worker") }
        var secretPath = secretFile
        var temporary: String?
        if secretPath == nil {
            let path = NSTemporaryDirectory() + "churn-local-secret-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try SecretFile.create(path: path)
            temporary = path
            secretPath = path
        }
        var workers: LocalWorkers?
        var spool: ResultSpoolDirectory?
        do {
            spool = try ResultSpoolDirectory()
            let input = inputFile.flatMap { given -> (path: String, identity: FileIdentity)? in
                // The file itself, not a name that means something else in another process
                // (`/dev/stdin` redirected from a file is the worker's own stdin there).
                guard let resolved = realpath(given, nil) else { return nil }
                let path = String(cString: resolved)
                free(resolved)
                let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { return nil }
                defer { Foundation.close(fd) }
                return FileIdentity(descriptor: fd).map { (path, $0) }
            }
            workers = try LocalWorkers(count: count, executable: executable, secretFile: secretPath!, threadsEach: threadsEach,
                                       spoolDirectory: spool!.path, inputFile: input?.path)
            let secret = try SecretFile.read(path: secretPath!)
            var options = options
            if extraEndpoints.isEmpty && options.maxOutstandingShards <= 0 {
                options.maxOutstandingShards = Self.localOutstandingShards(workers: count)
            }
            let pool = try WorkerPool(endpoints: extraEndpoints + workers!.endpoints, secret: secret, options: options, logger: logger,
                                      localSpool: LocalWorkerFiles(directory: spool!, endpoints: workers!.endpoints,
                                                                   input: input?.identity))
            pool.lock.withLock {
                pool.local = workers
                pool.temporarySecret = temporary
                pool.spool = spool
            }
            return pool
        } catch {
            workers?.stop()
            spool?.remove()
            if let temporary { unlink(temporary) }
            throw error
        }
    }

    /// The default of `Options.maxOutstandingShards` for a pool of local workers only.
    static func localOutstandingShards(workers: Int) -> Int {
        4 * workers + 2
    }

    /// "N workers".
    public var summary: String { "\(endpoints.count) worker\(endpoints.count == 1 ? "" : "s")" }

    /// Every worker connection as it is now (state, in flight, rows scored, errors, round trip).
    public func status() -> [PoolWorkerStatus] { board.snapshot }

    /// Fails the jobs still running, says GOODBYE to every worker, stops the loop, then stops the
    /// pool's local worker processes and removes its temporary secret. Idempotent.
    public func close() {
        // A second caller (the interrupt handler while the job's thread closes) waits for the first.
        closing.lock()
        defer { closing.unlock() }
        let (first, workers, secretPath, spool): (Bool, LocalWorkers?, String?, ResultSpoolDirectory?) = lock.withLock {
            defer {
                closed = true
                local = nil
                temporarySecret = nil
                self.spool = nil
            }
            return (!closed, local, temporarySecret, self.spool)
        }
        if first {
            let box = dispatcherBox
            let done = DispatchSemaphore(value: 0)
            if loop.execute({
                box.dispatcher?.close()
                done.signal()
            }) {
                done.wait()
            }
            // Let the GOODBYEs go out before the loop stops.
            let flushed = DispatchSemaphore(value: 0)
            LoopTimerHandOff.after(loop: loop, milliseconds: 50) { flushed.signal() }
            _ = flushed.wait(timeout: .now() + 1)
            loop.stop()
            loop.waitUntilStopped()
        }
        workers?.stop()
        // After the workers have stopped: a file a worker was still writing goes too.
        spool?.remove()
        if let secretPath { unlink(secretPath) }
    }

    deinit { close() }

    /// One job's scoring on the pool.
    public struct JobSettings: Sendable {
        public var model: CompiledModel
        public var modelBytes: [UInt8]
        public var modelHash: [UInt8]
        public var rankBy: RankBy
        public var topLimit: Int
        /// Encode results for the history store (`RunHistory.recording`); nil for no history.
        public var recording: PredictionRecording?
        public init(model: CompiledModel, modelBytes: [UInt8], modelHash: [UInt8], rankBy: RankBy, topLimit: Int,
                    recording: PredictionRecording?) {
            self.model = model
            self.modelBytes = modelBytes
            self.modelHash = modelHash
            self.rankBy = rankBy
            self.topLimit = topLimit
            self.recording = recording
        }
    }

    /// What a job did on the pool beyond its rows.
    public struct JobReport: Sendable {
        public var resends: Int
        public var speculativeSends: Int
        public var poisonShards: Int
    }

    /// Scores everything `reader` yields on the pool: this thread reads shards of whole records, the
    /// loop thread dispatches them, a writer thread formats results in input order (through the same
    /// formatter as in-process scoring, so the output is identical) and hands them to `consume`.
    /// - Parameter cancel: receives a closure that stops the job (callable from any thread, once
    ///   or more); the job then throws `ClusterError.cancelled`.
    public func score(reader: ChunkReader, settings: JobSettings, consume: @escaping (ScoredChunk) throws -> Void,
                      progress: @escaping (ScoreProgress, JobReport) -> Void,
                      cancel: (@escaping @Sendable () -> Void) -> Void) throws -> (ScoreAggregate, JobReport) {
        // Fail early, like in-process scoring, on an input that cannot be scored at all.
        _ = try ColumnBinding(header: reader.header, model: settings.model.model, file: reader.displayName)
        guard let hash = ModelHash(settings.modelHash) else { throw ClusterError.configuration("bad model hash") }
        let jobId: Int = try lock.withLock {
            guard !closed else { throw ClusterError.configuration("the worker pool is closed") }
            defer { nextJobId += 1 }
            return nextJobId
        }
        let completed = OrderedQueue<CompletedShard?>()
        let startup = DispatchSemaphore(value: 0)
        let state = RunOutcome(topLimit: settings.topLimit)
        let status = ClusterStatus()
        let box = dispatcherBox
        let columns = reader.header
        let identity = reader.identity
        let template = settings.recording?.makeChunk(firstLine: 0)
        let posted = loop.execute {
            guard let dispatcher = box.dispatcher else {
                state.fail(ClusterError.configuration("the worker pool is closed"))
                startup.signal()
                return
            }
            let model = dispatcher.modelId(hash: hash, bytes: settings.modelBytes)
            dispatcher.addJob(PoolJob(
                id: jobId, model: model, modelHash: hash, rankBy: settings.rankBy, topK: settings.topLimit, columns: columns,
                historyTemplate: template, inputIdentity: identity,
                completed: completed, status: status,
                onStartup: { error in
                    if let error { state.fail(error) }
                    startup.signal()
                },
                onFatal: { error in
                    state.fail(error)
                    completed.fail(error)  // the writer stops, and with it the reading
                }))
        }
        guard posted else { throw ClusterError.configuration("the worker pool is closed") }
        startup.wait()
        if let error = state.error { throw error }
        let loop = self.loop
        cancel { _ = loop.execute { box.dispatcher?.fail(job: jobId, .cancelled) } }

        let report = {
            let c = status.snapshot
            return JobReport(resends: c.resends, speculativeSends: c.speculativeSends, poisonShards: c.poisonShards)
        }
        let outstanding = options.maxOutstandingShards > 0 ? options.maxOutstandingShards : max(16, 4 * endpoints.count + 8)
        let run = OrderedRun(reader: reader, maxInFlight: outstanding, topLimit: settings.topLimit, results: completed)
        do {
            let total = try run.run(
                submit: { chunk in loop.execute { box.dispatcher?.addShard(chunk, job: jobId) } },
                inputEnded: { _, error in
                    if let error {
                        _ = loop.execute { box.dispatcher?.fail(job: jobId, .badInput("\(error)")) }
                    } else {
                        _ = loop.execute { box.dispatcher?.readerFinished(job: jobId) }
                    }
                },
                writerFailed: { error in
                    let failure = (error as? ClusterError) ?? .badInput("\(error)")
                    _ = loop.execute { box.dispatcher?.fail(job: jobId, failure) }
                },
                finish: { try ShardResultFormatting.format($0, recording: settings.recording, topLimit: settings.topLimit) },
                consume: consume,
                progress: { progress($0, report()) },
                workersAlive: { status.snapshot.workersAlive })
            return (total, report())
        } catch {
            // The dispatcher's verdict (cancelled, all workers lost) comes before the queue's echo of it.
            throw state.error ?? error
        }
    }
}

/// Holds the pool's dispatcher; set and read on the loop thread only.
final class DispatcherBox: @unchecked Sendable {  // loop thread only
    var dispatcher: PoolDispatcher?
}

/// A one-shot timer started from any thread.
enum LoopTimerHandOff {
    static func after(loop: EventLoop, milliseconds: Int, _ body: @escaping () -> Void) {
        let posted = loop.execute { _ = LoopTimer.once(loop: loop, after: .milliseconds(milliseconds), body) }
        if !posted { body() }
    }
}
