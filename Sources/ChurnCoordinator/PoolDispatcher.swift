import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnIO
import ChurnTransport
import ChurnWire
import Foundation
import Logging

/// A shard's outcome, handed to its job's writer in input order.
struct CompletedShard {
    var index: Int
    var firstLine: UInt64
    /// The worker's result; nil for a poison shard (then `poison` says why).
    var result: Message.ShardResult?
    /// The result's CSV when a local worker wrote it to the spool directory (`result.csv` is then empty).
    var csvFile: SpooledCSV? = nil
    var poison: RejectedRow?
    /// Physical lines of the shard (for counting a poison shard's rows).
    var lineCount: UInt64 = 0
}

/// One job as the pool's loop thread sees it: its wire settings, where its finished shards go,
/// and how to fail it.
final class PoolJob {
    let id: Int
    let model: DispatchPolicy.ModelID
    let modelHash: ModelHash
    let rankBy: RankBy
    let topK: Int
    let columns: [String]
    /// When the job records history: an empty builder of its run, to check workers' chunks against.
    let historyTemplate: PredictionBlockBuilder?
    /// The input file's identity when the job's reader opened it (nil for a pipe): its shards go by
    /// reference (SCORE_SHARD_REF) to the links whose workers were started with a file of exactly
    /// this identity.
    let inputIdentity: FileIdentity?
    let completed: OrderedQueue<CompletedShard?>
    let status: ClusterStatus
    /// Called once when the job cannot finish (any thread may wait for it).
    let onFatal: (ClusterError) -> Void
    /// Called once some worker is ready, or none can be.
    var onStartup: ((ClusterError?) -> Void)?
    var shardsRead = 0
    var shardsCompleted = 0
    var readerDone = false
    var isOver = false

    init(id: Int, model: DispatchPolicy.ModelID, modelHash: ModelHash, rankBy: RankBy, topK: Int, columns: [String],
         historyTemplate: PredictionBlockBuilder?, inputIdentity: FileIdentity? = nil, completed: OrderedQueue<CompletedShard?>,
         status: ClusterStatus, onStartup: @escaping (ClusterError?) -> Void, onFatal: @escaping (ClusterError) -> Void) {
        self.id = id
        self.model = model
        self.modelHash = modelHash
        self.rankBy = rankBy
        self.topK = topK
        self.columns = columns
        self.historyTemplate = historyTemplate
        self.inputIdentity = inputIdentity
        self.completed = completed
        self.status = status
        self.onStartup = onStartup
        self.onFatal = onFatal
    }
}

/// The pool's I/O shell around `DispatchPolicy`: owns the links (one per worker connection, kept
/// across jobs), the jobs' shards and their bytes, and carries out the policy's actions.
///
/// Threading: loop thread only. Job threads post to it with `loop.execute`.
final class PoolDispatcher {
    let loop: EventLoop
    let logger: Logger
    private(set) var links: [WorkerLink] = []
    private var policy: DispatchPolicy
    private var jobs: [Int: PoolJob] = [:]
    private var records: [Int: ShardRecord] = [:]
    private var nextShardKey = 1
    private var modelIds: [ModelHash: Int] = [:]
    private var modelBytes: [Int: (hash: ModelHash, bytes: [UInt8])] = [:]
    private var allDownTimer: LoopTimer?
    private var pumpTimer: LoopTimer?
    let allDownGrace: Duration
    private(set) var isRunning = true
    /// Per-worker status for `WorkerPool.status()`; written here, read on any thread.
    let board: PoolStatusBoard

    init(loop: EventLoop, logger: Logger, endpoints: [WorkerEndpoint], secret: [UInt8]?, heartbeatTimeout: Duration,
         poisonThreshold: Int, allDownGrace: Duration, board: PoolStatusBoard,
         localSpool: LocalWorkerFiles? = nil) {
        self.loop = loop
        self.logger = logger
        self.allDownGrace = allDownGrace
        self.board = board
        policy = DispatchPolicy(settings: .init(poisonThreshold: poisonThreshold))
        let settings = WorkerLink.Settings(secret: secret, heartbeatTimeout: heartbeatTimeout.nanoseconds)
        for endpoint in endpoints {
            for _ in 0..<endpoint.weight {
                let local = localSpool.flatMap { $0.endpoints.contains(endpoint) ? $0 : nil }
                let link = WorkerLink(id: links.count, endpoint: endpoint, dispatcher: self, settings: settings, loop: loop,
                                      logger: logger, spool: local?.directory, input: local?.input)
                policy.addLink(link.id)
                links.append(link)
            }
        }
    }

    private var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Connects to every worker (loop thread).
    func start() {
        for link in links { link.connect() }
        // Stragglers are noticed by time, not only by events.
        let timer = LoopTimer(loop: loop) { [weak self] in
            guard let self else { return }
            self.perform(self.policy.pump(now: self.now))
            self.publishStatus()
        }
        timer.start(after: .milliseconds(100), repeating: .milliseconds(100))
        pumpTimer = timer
        publishStatus()
    }

    // MARK: Jobs (posted from job threads)

    /// The policy's id for a model, registering its bytes on first use.
    func modelId(hash: ModelHash, bytes: [UInt8]) -> Int {
        if let id = modelIds[hash] { return id }
        let id = modelIds.count + 1
        modelIds[hash] = id
        modelBytes[id] = (hash, bytes)
        return id
    }

    func addJob(_ job: PoolJob) {
        guard isRunning else {
            job.onStartup?(.configuration("the worker pool is closed"))
            job.onStartup = nil
            return
        }
        jobs[job.id] = job
        policy.addJob(job.id, model: job.model)
        checkStartup(job)
        perform(policy.pump(now: now))
    }

    func addShard(_ chunk: CSVChunk, job jobId: Int) {
        guard let job = jobs[jobId], !job.isOver else { return }
        let key = nextShardKey
        nextShardKey += 1
        records[key] = ShardRecord(chunk, key: key, job: jobId)
        job.shardsRead += 1
        perform(policy.addShard(key, job: jobId, now: now))
    }

    func readerFinished(job jobId: Int) {
        guard let job = jobs[jobId] else { return }
        job.readerDone = true
        checkDone(job)
    }

    /// Ends a job early: its queued shards are dropped, those in flight cancelled on the workers.
    func fail(job jobId: Int, _ error: ClusterError) {
        guard let job = jobs[jobId], !job.isOver else { return }
        if error == .cancelled { logger.info("job \(jobId) cancelled") } else { logger.error("job \(jobId): \(error)") }
        end(job)
        job.onFatal(error)
    }

    private func end(_ job: PoolJob) {
        job.isOver = true
        jobs[job.id] = nil
        for (key, record) in records where record.job == job.id { records[key] = nil }
        perform(policy.removeJob(job.id, now: now))
        if job.onStartup != nil {
            job.onStartup?(nil)
            job.onStartup = nil
        }
        publishStatus()
    }

    private func checkDone(_ job: PoolJob) {
        guard !job.isOver, job.readerDone, job.shardsCompleted == job.shardsRead else { return }
        job.completed.put(job.shardsRead, nil)
        end(job)
    }

    private func checkStartup(_ job: PoolJob) {
        guard let startup = job.onStartup else { return }
        if links.contains(where: { $0.state == .ready }) {
            job.onStartup = nil
            startup(nil)
            return
        }
        let anyHope = links.contains { $0.state != .refused }
        let everyoneTried = links.allSatisfy { $0.state == .refused || $0.state == .down }
        guard !anyHope || everyoneTried else { return }  // still connecting: wait
        job.onStartup = nil
        startup(.noWorkerAccepted(uniqueEndpoints().map { e in "\(e): \(links.first { $0.endpoint == e }?.lastProblem ?? "unknown")" }))
        end(job)
    }

    // MARK: Actions

    private func perform(_ actions: [DispatchAction]) {
        for action in actions {
            switch action {
            case let .send(key, linkId):
                guard let record = records[key], let job = jobs[record.job] else { continue }
                links[linkId].send(shard: record, job: job)
            case let .cancel(key, linkId):
                links[linkId].cancel(key)
            case .deliver:
                break  // done by `resultArrived`, which holds the result
            case let .prepareModel(model, linkId):
                if let m = modelBytes[model] { links[linkId].prepareModel(hash: m.hash, bytes: m.bytes) }
            case let .poison(key, jobId, losses):
                guard let record = records.removeValue(forKey: key), let job = jobs[jobId] else { continue }
                let reason = "poison shard: \(record.lineRange) were in flight on \(losses) workers that died; skipped"
                logger.error("\(reason)")
                job.status.update { $0.poisonShards += 1 }
                complete(job, CompletedShard(index: record.index, firstLine: record.firstLine, result: nil,
                                             poison: RejectedRow(line: record.firstLine, reason: reason), lineCount: record.lineCount))
            case let .resend(_, jobId, _):
                jobs[jobId]?.status.update { $0.resends += 1 }
            case let .speculate(key, jobId):
                if let record = records[key] { logger.info("speculatively re-sending shard \(record.index) of job \(jobId) (\(record.lineRange))") }
                jobs[jobId]?.status.update { $0.speculativeSends += 1 }
            }
        }
    }

    private func complete(_ job: PoolJob, _ c: CompletedShard) {
        job.shardsCompleted += 1
        job.completed.put(c.index, c)
        job.status.update { $0.shardsCompleted = job.shardsCompleted }
        checkDone(job)
    }

    // MARK: From links

    func linkReady(_ link: WorkerLink, window: Int) {
        allDownTimer?.close()
        allDownTimer = nil
        perform(policy.linkReady(link.id, window: window, now: now))
        for job in jobs.values { checkStartup(job) }
        publishStatus()
    }

    func modelReady(_ link: WorkerLink, hash: ModelHash) {
        guard let id = modelIds[hash] else { return }
        perform(policy.modelReady(link.id, model: id, now: now))
    }

    func modelLost(_ link: WorkerLink, hash: ModelHash) {
        guard let id = modelIds[hash] else { return }
        policy.modelLost(link.id, model: id)
    }

    func resultArrived(_ result: Message.ShardResult, from link: WorkerLink, csvFile: SpooledCSV? = nil) {
        let key = Int(result.shardId)
        let actions = policy.resultArrived(key, from: link.id, now: now)
        // The board counts this result before its job can finish with it (a caller reading
        // `WorkerPool.status()` after a job must see every row it scored).
        publishStatus()
        for case let .deliver(_, jobId) in actions {
            guard let record = records.removeValue(forKey: key), let job = jobs[jobId] else { continue }
            complete(job, CompletedShard(index: record.index, firstLine: record.firstLine, result: result, csvFile: csvFile, poison: nil))
        }
        perform(actions)
    }

    /// The worker handed a shard back unfinished (not its fault).
    func handBack(_ key: Int, from link: WorkerLink) {
        perform(policy.handBack(key, from: link.id, now: now))
    }

    func linkDraining(_ link: WorkerLink) {
        policy.linkDraining(link.id)
        publishStatus()
    }

    /// A worker rejected a shard's content (e.g. a required column is missing): that job fails.
    func badShard(_ key: Int, message: String) {
        guard let record = records[key] else { return }
        fail(job: record.job, .badInput(message))
    }

    /// The link's connection is gone (or never came up): its shards go back to the queue.
    func linkDown(_ link: WorkerLink) {
        perform(policy.linkLost(link.id, now: now))
        publishStatus()
        guard isRunning else { return }
        for job in jobs.values { checkStartup(job) }
        let anyAlive = links.contains { $0.isAlive }
        let anyHope = links.contains { $0.state != .refused }
        let running = jobs.values.filter { $0.onStartup == nil }
        guard !running.isEmpty else { return }
        if !anyHope {
            for job in running { fail(job: job.id, .allWorkersLost(progressReport(job, because: "every worker refused the connection"))) }
        } else if !anyAlive && allDownTimer == nil {
            allDownTimer = LoopTimer.once(loop: loop, after: allDownGrace) { [weak self] in
                guard let self else { return }
                self.allDownTimer = nil
                guard self.isRunning, !self.links.contains(where: { $0.isAlive }) else { return }
                for job in self.jobs.values where job.onStartup == nil {
                    self.fail(job: job.id, .allWorkersLost(self.progressReport(job, because: "no worker reachable for \(self.allDownGrace)")))
                }
            }
        }
    }

    private func uniqueEndpoints() -> [WorkerEndpoint] {
        var seen: [WorkerEndpoint] = []
        for l in links where !seen.contains(l.endpoint) { seen.append(l.endpoint) }
        return seen
    }

    private func progressReport(_ job: PoolJob, because: String) -> String {
        let reasons = uniqueEndpoints().map { e in "\(e): \(links.first { $0.endpoint == e }?.lastProblem ?? "?")" }
        return "\(because); \(job.shardsCompleted) of \(job.shardsRead) shards read so far were finished, no results were written (\(reasons.joined(separator: "; ")))"
    }

    /// Fails every job and says goodbye to every worker (loop thread).
    func close() {
        guard isRunning else { return }
        for job in Array(jobs.values) { fail(job: job.id, .configuration("the worker pool was closed")) }
        isRunning = false
        allDownTimer?.close()
        pumpTimer?.close()
        for link in links { link.finish() }
        publishStatus()
    }

    /// Copies every link's counters to the board.
    func publishStatus() {
        let workers = links.map { $0.statusSnapshot }
        let alive = links.filter(\.isAlive).count
        board.set(workers)
        for job in jobs.values { job.status.update { $0.workersAlive = alive } }
    }

    /// Workers connected and ready (for progress lines).
    var workersAlive: Int { links.filter(\.isAlive).count }
}

/// Live counters of one job for progress lines and the summary: written on the loop thread, read
/// on the job's writer thread and by the caller, so every access goes through `lock`.
final class ClusterStatus: @unchecked Sendable {  // state guarded by `lock`
    /// One consistent reading of the counters.
    struct Counters {
        var workersAlive = 0
        var shardsCompleted = 0
        var resends = 0
        var speculativeSends = 0
        var poisonShards = 0
    }

    private let lock = NSLock()
    private var counters = Counters()

    /// The counters as they are now.
    var snapshot: Counters { lock.withLock { counters } }

    /// Changes the counters under the lock.
    func update(_ change: (inout Counters) -> Void) { lock.withLock { change(&counters) } }
}

extension Duration {
    /// Whole nanoseconds.
    var nanoseconds: UInt64 {
        UInt64(components.seconds) * 1_000_000_000 + UInt64(components.attoseconds / 1_000_000_000)
    }
}
