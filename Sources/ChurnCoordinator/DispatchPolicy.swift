/// Which worker scores which shard, as a value with no I/O and no clock of its own: every event
/// goes in as a method call carrying the time (`now`, monotonic nanoseconds), and what to do comes
/// back as `[DispatchAction]` for the I/O layer (`PoolDispatcher`) to carry out. Tests drive it with
/// a hand-moved clock.
///
/// The policy: each connection ("link") has a credit window; the link with the most free credit
/// gets the next shard (so faster workers get more). Jobs take turns (round robin), so concurrent
/// jobs share the pool fairly. A shard lost with its worker is a *suspect*: it is re-sent alone, to
/// an idle link, so if it kills that worker too no innocent shard is blamed; lost with
/// `poisonThreshold` workers, it is *poison*: reported and skipped. With nothing queued, a shard in
/// flight longer than twice the median shard time (and `speculationFloor`) is also sent to a link
/// with free credit; the first result wins and the other copy is cancelled.
public struct DispatchPolicy: Sendable {
    public typealias LinkID = Int
    public typealias JobID = Int
    /// Pool-wide shard key (also the shard id on the wire).
    public typealias ShardKey = Int
    public typealias ModelID = Int

    public struct Settings: Sendable {
        public var poisonThreshold: Int
        public var speculationFloor: UInt64
        /// Assumed shard time before any shard finished.
        public var initialShardTime: UInt64
        public init(poisonThreshold: Int = 3, speculationFloor: UInt64 = 250_000_000, initialShardTime: UInt64 = 500_000_000) {
            self.poisonThreshold = poisonThreshold
            self.speculationFloor = speculationFloor
            self.initialShardTime = initialShardTime
        }
    }

    struct Link {
        var ready = false
        var window = 1
        /// Shard → send time.
        var inFlight: [ShardKey: UInt64] = [:]
        /// Carrying a suspect shard alone.
        var isolating = false
        var models: Set<ModelID> = []
        var preparing: Set<ModelID> = []

        var freeCredit: Int { ready ? max(0, window - inFlight.count) : 0 }
    }

    struct Job {
        var model: ModelID
        var pending: [ShardKey] = []
        var pendingHead = 0
        var hasPending: Bool { pendingHead < pending.count }
    }

    struct Shard {
        var job: JobID
        var losses = 0
        var holders: [LinkID] = []
        var speculated = false
        var resends = 0
    }

    public let settings: Settings
    private(set) var links: [LinkID: Link] = [:]
    private var linkOrder: [LinkID] = []
    private(set) var jobs: [JobID: Job] = [:]
    private var jobOrder: [JobID] = []
    private var nextJobTurn = 0
    private(set) var shards: [ShardKey: Shard] = [:]
    /// Recent shard times (ns), for spotting stragglers.
    private var shardTimes: [UInt64] = []

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    // MARK: Links

    public mutating func addLink(_ id: LinkID) {
        links[id] = Link()
        linkOrder.append(id)
    }

    /// The link finished its handshake: it takes shards for models it holds.
    public mutating func linkReady(_ id: LinkID, window: Int, now: UInt64) -> [DispatchAction] {
        links[id]?.ready = true
        links[id]?.window = max(1, window)
        links[id]?.models = []
        links[id]?.preparing = []
        return pump(now: now)
    }

    /// The link now holds `model` (after MODEL_CHECK or LOAD_MODEL).
    public mutating func modelReady(_ id: LinkID, model: ModelID, now: UInt64) -> [DispatchAction] {
        links[id]?.preparing.remove(model)
        links[id]?.models.insert(model)
        return pump(now: now)
    }

    /// The worker said it no longer holds `model` (it was evicted): prepare it again before sending more.
    public mutating func modelLost(_ id: LinkID, model: ModelID) {
        links[id]?.models.remove(model)
        links[id]?.preparing.remove(model)
    }

    /// No new shards for this link (the worker drains); what it holds may still finish.
    public mutating func linkDraining(_ id: LinkID) {
        links[id]?.ready = false
    }

    /// The connection is gone: every shard in flight on it was lost with the worker.
    public mutating func linkLost(_ id: LinkID, now: UInt64) -> [DispatchAction] {
        guard var link = links[id] else { return [] }
        // Oldest last, so that it ends up first in the queue (each goes to the front).
        let lost = link.inFlight.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.map(\.key)
        link = Link()
        links[id] = link
        var actions: [DispatchAction] = []
        for key in lost { actions += returned(key, from: id, lost: true) }
        return actions + pump(now: now)
    }

    /// The worker handed a shard back unfinished (GOODBYE, overloaded, shutting down): not its fault.
    public mutating func handBack(_ key: ShardKey, from id: LinkID, now: UInt64) -> [DispatchAction] {
        guard links[id]?.inFlight.removeValue(forKey: key) != nil else { return [] }
        return returned(key, from: id, lost: false) + pump(now: now)
    }

    // MARK: Jobs and shards

    public mutating func addJob(_ id: JobID, model: ModelID) {
        jobs[id] = Job(model: model)
        jobOrder.append(id)
    }

    /// A shard of `job` was read: queue it.
    public mutating func addShard(_ key: ShardKey, job: JobID, now: UInt64) -> [DispatchAction] {
        guard jobs[job] != nil else { return [] }
        shards[key] = Shard(job: job)
        jobs[job]!.pending.append(key)
        return pump(now: now)
    }

    /// Drops a job (cancelled, failed or finished): its queued shards are forgotten and its shards
    /// in flight are cancelled on their workers.
    public mutating func removeJob(_ id: JobID, now: UInt64) -> [DispatchAction] {
        guard jobs.removeValue(forKey: id) != nil else { return [] }
        jobOrder.removeAll { $0 == id }
        var actions: [DispatchAction] = []
        for (key, shard) in shards where shard.job == id {
            shards[key] = nil
            for holder in shard.holders where links[holder]?.inFlight.removeValue(forKey: key) != nil {
                links[holder]?.isolating = false
                actions.append(.cancel(shard: key, link: holder))
            }
        }
        return actions + pump(now: now)
    }

    /// A result came in. The first result for a shard wins: `.deliver`, and the other copies are
    /// cancelled; a late duplicate (or a result for a dropped job) gives nothing.
    public mutating func resultArrived(_ key: ShardKey, from id: LinkID, now: UInt64) -> [DispatchAction] {
        guard let sentAt = links[id]?.inFlight.removeValue(forKey: key) else { return [] }
        links[id]?.isolating = false
        guard let shard = shards.removeValue(forKey: key) else { return pump(now: now) }
        var actions: [DispatchAction] = [.deliver(shard: key, job: shard.job)]
        for other in shard.holders where other != id && links[other]?.inFlight.removeValue(forKey: key) != nil {
            links[other]?.isolating = false
            actions.append(.cancel(shard: key, link: other))
        }
        shardTimes.append(now &- sentAt)
        if shardTimes.count > 256 { shardTimes.removeFirst(shardTimes.count - 256) }
        return actions + pump(now: now)
    }

    /// Shards of `job` read and not yet finished.
    public func unfinishedShards(of job: JobID) -> Int { shards.values.filter { $0.job == job }.count }

    /// Shards in flight on a link.
    public func inFlight(on id: LinkID) -> Int { links[id]?.inFlight.count ?? 0 }

    // MARK: Assignment

    /// Gives queued shards to links with free credit, jobs taking turns; then speculates.
    public mutating func pump(now: UInt64) -> [DispatchAction] {
        var actions: [DispatchAction] = []
        var blocked: Set<JobID> = []
        while blocked.count < jobOrder.count {
            guard let jobId = nextJobWithWork(excluding: blocked) else { break }
            var job = jobs[jobId]!
            let key = job.pending[job.pendingHead]
            guard let shard = shards[key] else {  // finished or dropped meanwhile
                job.pendingHead += 1
                jobs[jobId] = job
                continue
            }
            // A suspect goes alone to an idle link, so a second loss is certainly its own.
            let suspect = shard.losses > 0
            guard let link = suspect ? idleLink(for: job.model) : bestLink(for: job.model, excluding: []) else {
                actions += prepareModel(job.model)
                blocked.insert(jobId)
                continue
            }
            job.pendingHead += 1
            if job.pendingHead > 1024 && job.pendingHead * 2 > job.pending.count {
                job.pending.removeFirst(job.pendingHead)
                job.pendingHead = 0
            }
            jobs[jobId] = job
            if suspect { links[link]!.isolating = true }
            actions.append(assign(key, to: link, now: now))
        }
        if !jobs.values.contains(where: \.hasPending) { actions += speculate(now: now) }
        return actions
    }

    /// The next job in turn that has queued shards.
    private mutating func nextJobWithWork(excluding blocked: Set<JobID>) -> JobID? {
        guard !jobOrder.isEmpty else { return nil }
        for step in 0..<jobOrder.count {
            let id = jobOrder[(nextJobTurn + step) % jobOrder.count]
            if !blocked.contains(id), jobs[id]?.hasPending == true {
                nextJobTurn = (nextJobTurn + step + 1) % jobOrder.count
                return id
            }
        }
        return nil
    }

    /// Ready links that lack the model and are not loading it yet: load it there.
    private mutating func prepareModel(_ model: ModelID) -> [DispatchAction] {
        var actions: [DispatchAction] = []
        for id in linkOrder {
            guard let link = links[id], link.ready, !link.models.contains(model), !link.preparing.contains(model) else { continue }
            links[id]!.preparing.insert(model)
            actions.append(.prepareModel(model: model, link: id))
        }
        return actions
    }

    private func idleLink(for model: ModelID) -> LinkID? {
        linkOrder.first { id in
            let l = links[id]!
            return l.ready && l.inFlight.isEmpty && !l.isolating && l.models.contains(model)
        }
    }

    /// The link with the most free credit that holds the model.
    private func bestLink(for model: ModelID, excluding: [LinkID]) -> LinkID? {
        var best: LinkID?
        var bestCredit = 0
        for id in linkOrder {
            let l = links[id]!
            guard !l.isolating, l.models.contains(model), !excluding.contains(id) else { continue }
            let credit = l.freeCredit
            if credit > bestCredit {
                best = id
                bestCredit = credit
            }
        }
        return best
    }

    private mutating func assign(_ key: ShardKey, to link: LinkID, now: UInt64) -> DispatchAction {
        shards[key]!.holders.append(link)
        links[link]!.inFlight[key] = now
        return .send(shard: key, link: link)
    }

    /// With nothing queued: the oldest straggler (older than twice the median shard time and the
    /// floor) goes to another link with free credit as well.
    private mutating func speculate(now: UInt64) -> [DispatchAction] {
        let typical = shardTimes.isEmpty ? settings.initialShardTime : shardTimes.sorted()[shardTimes.count / 2]
        let threshold = max(2 * typical, settings.speculationFloor)
        var actions: [DispatchAction] = []
        while true {
            var candidate: (key: ShardKey, sentAt: UInt64, link: LinkID)?
            for id in linkOrder {
                for (key, sentAt) in links[id]!.inFlight {
                    guard let shard = shards[key], !shard.speculated, shard.losses == 0, now &- sentAt > threshold else { continue }
                    guard let model = jobs[shard.job]?.model,
                          let target = bestLink(for: model, excluding: shard.holders) else { continue }
                    if candidate == nil || sentAt < candidate!.sentAt { candidate = (key, sentAt, target) }
                }
            }
            guard let c = candidate else { return actions }
            shards[c.key]!.speculated = true
            actions.append(.speculate(shard: c.key, job: shards[c.key]!.job))
            actions.append(assign(c.key, to: c.link, now: now))
        }
    }

    /// A shard came back from a link unfinished; lost means its worker died with it.
    private mutating func returned(_ key: ShardKey, from id: LinkID, lost: Bool) -> [DispatchAction] {
        links[id]?.isolating = false
        guard var shard = shards[key] else { return [] }
        shard.holders.removeAll { $0 == id }
        if lost { shard.losses += 1 }
        if shard.losses >= settings.poisonThreshold {
            shards[key] = nil
            var actions: [DispatchAction] = [.poison(shard: key, job: shard.job, losses: shard.losses)]
            for other in shard.holders where links[other]?.inFlight.removeValue(forKey: key) != nil {
                actions.append(.cancel(shard: key, link: other))
            }
            return actions
        }
        shards[key] = shard
        guard shard.holders.isEmpty, var job = jobs[shard.job] else { return [] }
        // Re-sends go first, so a lost shard does not wait behind the whole file.
        if job.pendingHead > 0 {
            job.pendingHead -= 1
            job.pending[job.pendingHead] = key
        } else {
            job.pending.insert(key, at: 0)
        }
        jobs[shard.job] = job
        shards[key]!.resends += 1
        return [.resend(shard: key, job: shard.job, suspect: lost)]
    }
}

/// What `DispatchPolicy` asks the I/O layer to do.
public enum DispatchAction: Equatable, Sendable {
    /// Send the shard to the link (SCORE_SHARD).
    case send(shard: Int, link: Int)
    /// Tell the link to drop the shard (CANCEL); its answer, if any, is ignored.
    case cancel(shard: Int, link: Int)
    /// The link's result for the shard is the one: hand it to the job.
    case deliver(shard: Int, job: Int)
    /// Make sure the link holds the model (MODEL_CHECK, LOAD_MODEL if absent), then `modelReady`.
    case prepareModel(model: Int, link: Int)
    /// The shard was lost with too many workers: report it to the job as rejected and skip it.
    case poison(shard: Int, job: Int, losses: Int)
    /// The shard is queued again (after a loss or a hand-back); for counters and events.
    case resend(shard: Int, job: Int, suspect: Bool)
    /// The shard is also being sent to a second link (a straggler); for counters and events.
    case speculate(shard: Int, job: Int)
}
