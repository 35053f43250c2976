import ChurnCore
import ChurnEngine
import ChurnTransport
import ChurnWire
import Foundation
import Logging

/// A shard's outcome, handed to the writer in input order.
struct CompletedShard {
    var index: Int
    var firstLine: UInt64
    /// The worker's result; nil for a poison shard (then `poison` says why).
    var result: Message.ShardResult?
    var poison: RejectedRow?
    /// Physical lines of the shard (for counting a poison shard's rows).
    var lineCount: UInt64 = 0
}

/// Decides which worker scores which shard: a queue of shards, each worker's credit window,
/// re-sending what a lost worker held (attempt + 1), poison shards, speculative re-sends of
/// stragglers at the end, first result wins.
///
/// Threading: loop thread only, except the `Sendable` hand-offs named on each method.
final class Dispatcher {
    let columns: [String]
    let heartbeatTimeout: UInt64
    /// A shard lost with this many workers is poison: reported and skipped, never retried.
    let poisonThreshold: Int
    /// With every worker down for this long, the run fails.
    let allDownGrace: Duration
    private let loop: EventLoop
    private let logger: Logger
    private let completed: OrderedQueue<CompletedShard?>
    private var links: [WorkerLink] = []
    private var shards: [Int: ShardRecord] = [:]
    private var pending: [Int] = []
    private var pendingHead = 0
    private var readerDone = false
    private var shardsRead = 0
    private var shardsCompleted = 0
    private var lastCompletedContiguous = -1
    private(set) var isRunning = true
    private var allDownTimer: LoopTimer?
    private var pumpTimer: LoopTimer?
    /// Links carrying a suspect shard alone.
    private var isolating: Set<ObjectIdentifier> = []
    /// Called once when the run cannot finish (any thread may wait for it).
    private let onFatal: (ClusterError) -> Void
    /// Called once some worker is ready, or no worker can be (startup verdict).
    private var onStartup: ((ClusterError?) -> Void)?
    /// Completed shard times (ns), for spotting stragglers.
    private var shardNanos: [UInt64] = []
    let status: ClusterStatus

    init(loop: EventLoop, logger: Logger, endpoints: [WorkerEndpoint], model: (hash: ModelHash, bytes: [UInt8]), secret: [UInt8]?,
         rankBy: RankBy, topK: Int, columns: [String], heartbeatTimeout: Duration, poisonThreshold: Int, allDownGrace: Duration,
         completed: OrderedQueue<CompletedShard?>, status: ClusterStatus,
         onStartup: @escaping (ClusterError?) -> Void, onFatal: @escaping (ClusterError) -> Void) {
        self.loop = loop
        self.logger = logger
        self.columns = columns
        self.heartbeatTimeout = UInt64(heartbeatTimeout.components.seconds) * 1_000_000_000 + UInt64(heartbeatTimeout.components.attoseconds / 1_000_000_000)
        self.poisonThreshold = poisonThreshold
        self.allDownGrace = allDownGrace
        self.completed = completed
        self.status = status
        self.onStartup = onStartup
        self.onFatal = onFatal
        let settings = WorkerLink.Settings(secret: secret, modelHash: model.hash, modelBytes: model.bytes, rankBy: rankBy,
                                           topK: topK, heartbeatTimeout: self.heartbeatTimeout)
        for endpoint in endpoints {
            for _ in 0..<endpoint.weight {
                links.append(WorkerLink(endpoint: endpoint, dispatcher: self, settings: settings, loop: loop, logger: logger))
            }
        }
    }

    /// Starts connecting to every worker (loop thread).
    func start() {
        for link in links { link.connect() }
        // Stragglers are noticed by time, not only by events: a stuck shard may be the only thing
        // in flight while the reader waits for it.
        let timer = LoopTimer(loop: loop) { [weak self] in self?.pump() }
        timer.start(after: .milliseconds(100), repeating: .milliseconds(100))
        pumpTimer = timer
    }

    // MARK: Shards in (posted from the reading thread)

    func add(_ shard: ShardRecord) {
        guard isRunning else { return }
        shards[shard.index] = shard
        shardsRead += 1
        pending.append(shard.index)
        pump()
    }

    func readerFinished() {
        readerDone = true
        checkDone()
        pump()
    }

    // MARK: Assignment

    /// Gives pending shards to workers with free credit; at the end, re-sends stragglers.
    private func pump() {
        guard isRunning else { return }
        while pendingHead < pending.count {
            let index = pending[pendingHead]
            guard let shard = shards[index] else {  // finished meanwhile
                pendingHead += 1
                continue
            }
            // A shard that was in flight on a worker that died is a suspect: it goes alone to an
            // idle worker, so that if it kills that one too, the loss is certainly its own.
            let suspect = shard.losses > 0
            guard let link = suspect ? idleLink() : bestLink() else { break }
            pendingHead += 1
            if suspect { isolating.insert(ObjectIdentifier(link)) }
            assign(shard, to: link)
        }
        if pendingHead > 1024 && pendingHead * 2 > pending.count {
            pending.removeFirst(pendingHead)
            pendingHead = 0
        }
        // Idle credit with nothing queued (at the end, or while the reader waits for the oldest
        // shard to be written): re-send stragglers.
        if pendingHead == pending.count { speculate() }
        refreshStatus()
    }

    /// A ready link with nothing in flight, for a suspect shard.
    private func idleLink() -> WorkerLink? {
        links.first { $0.state == .ready && $0.inFlight.isEmpty && !isolating.contains(ObjectIdentifier($0)) }
    }

    /// The ready link with the most free credit (faster workers free theirs sooner, so get more).
    private func bestLink() -> WorkerLink? {
        var best: WorkerLink?
        for link in links where link.freeCredit > 0 && !isolating.contains(ObjectIdentifier(link)) {
            if best == nil || link.freeCredit > best!.freeCredit { best = link }
        }
        return best
    }

    private func assign(_ shard: ShardRecord, to link: WorkerLink) {
        shard.holders.append(ObjectIdentifier(link))
        link.send(shard: shard, columns: columns)
    }

    /// Nothing queued: send the longest-running shards (older than twice the median shard time and
    /// 250 ms) a second time to idle workers; the first result wins.
    private func speculate() {
        let now = DispatchTime.now().uptimeNanoseconds
        let typical = shardNanos.isEmpty ? UInt64(500_000_000) : shardNanos.sorted()[shardNanos.count / 2]
        while let link = bestLink() {
            var candidate: (ShardRecord, UInt64)?
            for other in links where other !== link {
                guard let (index, sentAt) = other.oldestInFlight, let shard = shards[index], !shard.speculated, shard.losses == 0,
                      !shard.holders.contains(ObjectIdentifier(link)) else { continue }
                if candidate == nil || sentAt < candidate!.1 { candidate = (shard, sentAt) }
            }
            guard let (shard, sentAt) = candidate, now &- sentAt > max(2 * typical, 250_000_000) else { return }
            shard.speculated = true
            status.update { $0.speculativeSends += 1 }
            logger.info("speculatively re-sending shard \(shard.index) (\(shard.lineRange))")
            assign(shard, to: link)
        }
    }

    func creditFreed() { pump() }

    // MARK: Results

    func resultArrived(_ result: Message.ShardResult, from link: WorkerLink, nanoseconds: UInt64) {
        let index = Int(result.shardId)
        isolating.remove(ObjectIdentifier(link))
        guard let shard = shards.removeValue(forKey: index) else { return }  // duplicate: first result won
        for other in links where other !== link && shard.holders.contains(ObjectIdentifier(other)) {
            other.cancel(index)
        }
        shardNanos.append(nanoseconds)
        complete(CompletedShard(index: index, firstLine: shard.firstLine, result: result, poison: nil))
        pump()
    }

    private func complete(_ c: CompletedShard) {
        shardsCompleted += 1
        completed.put(c.index, c)
        checkDone()
    }

    private func checkDone() {
        guard isRunning, readerDone, shardsCompleted == shardsRead else { return }
        completed.put(shardsRead, nil)
        finish()
    }

    /// A shard comes back from a link: lost with its worker, or handed back unfinished.
    func handBack(_ index: Int, from link: WorkerLink, lost: Bool) {
        isolating.remove(ObjectIdentifier(link))
        guard let shard = shards[index] else { return }
        shard.holders.removeAll { $0 == ObjectIdentifier(link) }
        if lost { shard.losses += 1 }
        if shard.losses >= poisonThreshold {
            shards[index] = nil
            for other in links where shard.holders.contains(ObjectIdentifier(other)) { other.cancel(index) }
            let reason = "poison shard: \(shard.lineRange) were in flight on \(shard.losses) workers that died; skipped"
            logger.error("\(reason)")
            status.update { $0.poisonShards += 1 }
            complete(CompletedShard(index: index, firstLine: shard.firstLine, result: nil,
                                    poison: RejectedRow(line: shard.firstLine, reason: reason), lineCount: shard.lineCount))
            return
        }
        if shard.holders.isEmpty {
            status.update { $0.resends += 1 }
            // Retries go first, so a lost shard does not wait behind the whole file.
            if pendingHead > 0 {
                pendingHead -= 1
                pending[pendingHead] = index
            } else {
                pending.insert(index, at: 0)
            }
        }
        pump()
    }

    // MARK: Links

    func linkReady(_ link: WorkerLink) {
        allDownTimer?.close()
        allDownTimer = nil
        if let startup = onStartup {
            onStartup = nil
            startup(nil)
        }
        pump()
    }

    func linkRefused(_ link: WorkerLink, reason: String) {
        linkDown(link)
    }

    func linkDown(_ link: WorkerLink) {
        refreshStatus()
        guard isRunning else { return }
        let anyAlive = links.contains { $0.isAlive }
        let anyHope = links.contains { $0.state != .refused }
        if let startup = onStartup {
            // Before any worker was ready: fail at once when every one has refused or failed once.
            let everyoneTried = links.allSatisfy { $0.state == .refused || $0.state == .down }
            if !anyHope || everyoneTried {
                onStartup = nil
                let reasons = uniqueEndpoints().map { e -> String in
                    let problem = links.first { $0.endpoint == e }?.lastProblem ?? "unknown"
                    return "\(e): \(problem)"
                }
                startup(.noWorkerAccepted(reasons))
                finish()
            }
            return
        }
        if !anyHope {
            fatal(.allWorkersLost(progressReport(because: "every worker refused the connection")))
        } else if !anyAlive && allDownTimer == nil {
            allDownTimer = LoopTimer.once(loop: loop, after: allDownGrace) { [weak self] in
                guard let self, self.isRunning, !self.links.contains(where: { $0.isAlive }) else { return }
                self.fatal(.allWorkersLost(self.progressReport(because: "no worker reachable for \(self.allDownGrace)")))
            }
        }
    }

    private func uniqueEndpoints() -> [WorkerEndpoint] {
        var seen: [WorkerEndpoint] = []
        for l in links where !seen.contains(l.endpoint) { seen.append(l.endpoint) }
        return seen
    }

    private func progressReport(because: String) -> String {
        let reasons = uniqueEndpoints().map { e in "\(e): \(links.first { $0.endpoint == e }?.lastProblem ?? "?")" }
        return "\(because); \(shardsCompleted) of \(shardsRead) shards read so far were finished, no results were written (\(reasons.joined(separator: "; ")))"
    }

    /// Ends the run with an error (loop thread).
    func fatal(_ error: ClusterError) {
        guard isRunning else { return }
        logger.error("\(error)")
        finish()
        onFatal(error)
    }

    /// Closes every link (loop thread).
    func finish() {
        guard isRunning else { return }
        isRunning = false
        allDownTimer?.close()
        pumpTimer?.close()
        for link in links { link.finish() }
        refreshStatus()
    }

    private func refreshStatus() {
        let alive = links.filter(\.isAlive).count
        let completed = shardsCompleted
        status.update {
            $0.workersAlive = alive
            $0.shardsCompleted = completed
        }
    }
}

/// Live counters for progress lines and the summary: written on the loop thread, read on the
/// writer thread and by the caller, so every access goes through `lock`.
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
