import ChurnCore
import ChurnHistoryFormat
import ChurnTransport
import ChurnWire
import ChurnIO
import Foundation
import Logging

/// One connection from the pool to a worker, kept across jobs: connect, handshake, then carry
/// SCORE_SHARDs under the worker's credit window, load models the worker lacks (each once per
/// connection), heartbeat, and report what happens to the `PoolDispatcher`. Reconnects with
/// backoff after losing the worker, unless the worker refused us.
///
/// Threading: loop thread only.
final class WorkerLink {
    enum State: Equatable {
        case idle, connecting, handshaking, ready
        /// The worker said GOODBYE or is shutting down: no new shards.
        case draining
        /// Lost; a reconnect is scheduled.
        case down
        /// Refused the handshake (wrong secret, no common version): never retried.
        case refused
        /// The pool is closed; closed on purpose.
        case finished
    }

    /// What every link of a pool shares.
    struct Settings {
        var secret: [UInt8]?
        var heartbeatTimeout: UInt64
        var heartbeatInterval: UInt64 = 500_000_000
    }

    let id: Int
    let endpoint: WorkerEndpoint
    /// Weak: the loop may deliver a late callback (a cancelled connect, a timer) after the pool closed.
    private weak var dispatcher: PoolDispatcher?
    private let settings: Settings
    private let loop: EventLoop
    private var logger: Logger
    private(set) var state: State = .idle
    private var connection: TCPConnection?
    private var decoder = FrameDecoder()
    /// Handshake, request ids and heartbeats (no I/O): shared with the tools' `WorkerClient`.
    private var session: ClientSession
    /// Shard key → request id.
    private(set) var inFlight: [Int: UInt64] = [:]
    /// Models held by the worker on this connection, and those being checked or loaded.
    private var models: Set<ModelHash> = []
    private var window = 1
    private var heartbeat: LoopTimer?
    private var reconnectDelayMs = 100
    /// Why the last attempt failed (for "no worker accepted" and "all workers lost").
    private(set) var lastProblem: String?
    private var counters = (handshakes: 0, modelUploads: 0, shards: 0, rows: UInt64(0), errors: 0)
    /// For a worker this pool started (`--local`): the spool directory it was given, where it is asked
    /// to write results (SPOOL_RESULTS, protocol version 5) instead of sending them over TCP. Nil for
    /// other workers, and after a worker refused.
    private var spool: ResultSpoolDirectory?
    /// SPOOL_RESULTS was sent on this connection: SHARD_RESULT_SPOOLED may come.
    private var spooling = false
    /// For a worker this pool started for a run's input file (`--input-file`): that file's identity.
    /// Shards of a job reading exactly this file go as byte ranges of it (SCORE_SHARD_REF, protocol
    /// version 6). Nil for other workers, and after a worker refused a reference.
    private var input: FileIdentity?
    /// The session speaks version 6 and `input` is set: shards of a job with that input go by reference.
    private var referencing = false

    init(id: Int, endpoint: WorkerEndpoint, dispatcher: PoolDispatcher, settings: Settings, loop: EventLoop, logger: Logger,
         spool: ResultSpoolDirectory? = nil, input: FileIdentity? = nil) {
        self.id = id
        self.spool = spool
        self.input = input
        self.endpoint = endpoint
        self.dispatcher = dispatcher
        self.settings = settings
        self.loop = loop
        self.logger = logger
        self.logger[metadataKey: "worker"] = "\(endpoint)"
        session = Self.makeSession(settings, now: 0)
    }

    private static func makeSession(_ s: Settings, now: UInt64) -> ClientSession {
        ClientSession(name: "churn-coordinator@\(ProcessInfo.processInfo.hostName)", secret: s.secret,
                      heartbeatInterval: s.heartbeatInterval, heartbeatTimeout: s.heartbeatTimeout, now: now)
    }

    private var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    var isAlive: Bool { state == .ready || state == .draining }

    var statusSnapshot: PoolWorkerStatus {
        let word: PoolWorkerStatus.State
        switch state {
        case .idle, .connecting, .handshaking: word = .connecting
        case .ready: word = .ready
        case .draining: word = .draining
        case .down: word = .down
        case .refused: word = .refused
        case .finished: word = .closed
        }
        return PoolWorkerStatus(endpoint: "\(endpoint)", state: word, inFlight: inFlight.count, shardsScored: counters.shards,
                                rowsScored: counters.rows, errors: counters.errors,
                                roundTripMs: session.liveness.roundTrip.map { Double($0) / 1e6 }, handshakes: counters.handshakes,
                                modelUploads: counters.modelUploads, problem: isAlive ? nil : lastProblem)
    }

    // MARK: Connecting

    func connect() {
        guard state == .idle || state == .down else { return }
        state = .connecting
        decoder = FrameDecoder()
        models = []
        connection = TCPConnection.connect(loop: loop, host: endpoint.host, port: endpoint.port, timeout: .seconds(3)) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let c):
                self.opened(c)
            case .failure(let error):
                self.connection = nil
                self.lost("cannot connect: \(error)")
            }
        }
    }

    private func opened(_ c: TCPConnection) {
        state = .handshaking
        c.onRead = { [weak self] bytes in self?.received(bytes) }
        // Results land in the decoder's own buffer, which becomes the frame: no copy on the way in.
        c.readSpace = { [weak self] in self?.decoder.readSpace() }
        c.onClose = { [weak self] reason in self?.closed(reason) }
        session = Self.makeSession(settings, now: now)
        perform(session.start())
        let timer = LoopTimer(loop: loop) { [weak self] in self?.tick() }
        timer.start(after: .milliseconds(500), repeating: .milliseconds(500))
        heartbeat = timer
    }

    private func perform(_ actions: [ClientSession.Action]) {
        for action in actions {
            switch action {
            case let .send(message, requestId): send(message, requestId: requestId, flags: message.closesStream ? .endOfStream : [])
            case let .established(s): established(s)
            case let .refuse(reason): refuse(reason)
            case let .deliver(message, requestId): handle(message, requestId: requestId)
            case let .drop(reason): protocolFailure(reason)
            }
            if connection == nil { return }
        }
    }

    private func established(_ session: HandshakeSession) {
        window = max(1, Int(session.maxShardsInFlight))
        counters.handshakes += 1
        logger.debug("handshake done: \(session.peerName), window \(window)")
        state = .ready
        reconnectDelayMs = 100
        lastProblem = nil
        if let spool, session.version >= 5 {
            // Before any shard, so that the worker spools every result of this connection.
            spooling = true
            send(.spoolResults(.init(directory: spool.path)), requestId: takeRequestId())
        }
        referencing = input != nil && session.version >= 6
        if referencing { logger.debug("worker reads shards from the input file (SCORE_SHARD_REF)") }
        dispatcher?.linkReady(self, window: window)
    }

    /// The worker refused us for good (authentication, version): report and never retry.
    private func refuse(_ reason: String) {
        lastProblem = reason
        state = .refused
        logger.warning("worker refused: \(reason)")
        connection?.shutdownAndClose()
        dispatcher?.linkDown(self)
    }

    // MARK: Models

    /// Makes sure the worker holds a model: MODEL_CHECK, then LOAD_MODEL if it does not.
    func prepareModel(hash: ModelHash, bytes: [UInt8]) {
        guard state == .ready else { return }
        pendingModels[hash] = bytes
        send(.modelCheck(.init(hash: hash)), requestId: takeRequestId())
    }

    private var pendingModels: [ModelHash: [UInt8]] = [:]

    // MARK: Frames in

    private func received(_ bytes: UnsafeRawBufferPointer) {
        decoder.feed(bytes)
        do {
            while let frame = try decoder.next() {
                let message = try Message.decode(frame)
                perform(session.received(message, requestId: frame.requestId, now: now))
                if connection == nil { return }
            }
        } catch {
            protocolFailure("\(error)")
        }
    }

    private func handle(_ message: Message, requestId: UInt64) {
        switch message {
        case let .modelStatus(status):
            if status.present {
                modelReady(status.hash)
            } else if let bytes = pendingModels[status.hash] {
                counters.modelUploads += 1
                logger.debug("uploading model \(status.hash.hex.prefix(12))")
                send(.loadModel(.init(hash: status.hash, json: bytes)), requestId: takeRequestId())
            }
        case let .modelLoaded(loaded):
            modelReady(loaded.hash)
        case let .shardResult(result):
            accept(result, csvFile: nil)
        case let .shardResultSpooled(spooled):
            guard spooling, let spool else {
                protocolFailure("SHARD_RESULT_SPOOLED on a connection that did not ask for it")
                return
            }
            guard inFlight[Int(spooled.result.shardId)] != nil else {
                spool.discard(spooled.file)  // cancelled or duplicate
                return
            }
            do {
                accept(spooled.result, csvFile: try spool.open(spooled.file, length: spooled.csvLength))
            } catch {
                protocolFailure("shard \(spooled.result.shardId): \(error)")
            }
        case .spoolReady:
            guard spooling else {
                protocolFailure("SPOOL_READY without SPOOL_RESULTS")
                return
            }
            logger.debug("worker writes results to \(spool?.path ?? "?")")
        case .heartbeatAck:
            break  // timed by the session
        case let .goodbye(goodbye):
            logger.info("worker said goodbye: \(goodbye.reason)")
            state = .draining
            dispatcher?.linkDraining(self)
            for id in goodbye.unfinishedShardIds { handBack(Int(id)) }
            if inFlight.isEmpty { connection?.shutdownAndClose() }
        case let .error(error):
            handleError(error, requestId: requestId)
        default:
            protocolFailure("unexpected \(message.type.name) from a worker")
        }
    }

    /// A shard's result (its CSV inline, or in `csvFile`) for the dispatcher, unless it is a copy no
    /// longer wanted or its history chunk does not fit.
    private func accept(_ result: Message.ShardResult, csvFile: SpooledCSV?) {
        let key = Int(result.shardId)
        guard inFlight[key] != nil else { return }  // cancelled or duplicate
        if let problem = Self.historyProblem(result, template: shardHistory[key]) {
            protocolFailure("shard \(key): \(problem)")  // its shards go to other workers
            return
        }
        inFlight[key] = nil
        shardHistory[key] = nil
        counters.shards += 1
        counters.rows += UInt64(result.rowCount)
        dispatcher?.resultArrived(result, from: self, csvFile: csvFile)
    }

    private func modelReady(_ hash: ModelHash) {
        pendingModels[hash] = nil
        models.insert(hash)
        dispatcher?.modelReady(self, hash: hash)
    }

    private func handleError(_ error: Message.ErrorMessage, requestId: UInt64) {
        // Which shard was it about?
        let shard = inFlight.first { $0.value == requestId }?.key
        switch error.code {
        case .cancelled:
            break  // the answer to our CANCEL; the shard already left `inFlight`
        case .badShard:
            counters.errors += 1
            if let shard { dispatcher?.badShard(shard, message: error.message) }
        case .invalidModel:
            counters.errors += 1
            if let shard { dispatcher?.badShard(shard, message: "worker \(endpoint) rejected the model: \(error.message)") }
            else { protocolFailure("worker rejected the model: \(error.message)") }
        case .spoolRefused:
            // Not the worker we started: carry results over TCP from now on (the worker closes).
            spool = nil
            protocolFailure("worker refused to spool results: \(error.message)")
        case .inputRefused:
            // Not the file the worker opened (replaced, changed or cut since): send rows from now on.
            // The worker closes. Its shards in flight are handed back, not lost: a file touched
            // mid-run is not the worker's fault, and counting it as a death would make shards
            // suspects, then poison, on a pool of three or more. Draining first, so that none of
            // them is given straight back to this link.
            input = nil
            state = .draining
            dispatcher?.linkDraining(self)
            for key in Array(inFlight.keys) { handBack(key) }
            protocolFailure("worker refused to read shards from the input file: \(error.message)")
        case .overloaded, .shuttingDown, .unknownModel:
            if error.code == .shuttingDown {
                state = .draining
                dispatcher?.linkDraining(self)
            }
            if error.code == .unknownModel, let shard, let hash = shardModels[shard] {
                // Evicted from the worker's cache: load it again before more of its shards go here.
                models.remove(hash)
                dispatcher?.modelLost(self, hash: hash)
            }
            if let shard { handBack(shard) }
        default:
            protocolFailure("worker sent error \(error.code): \(error.message)")
        }
    }

    // MARK: Shards out

    /// Model of each shard in flight (to know which model an UNKNOWN_MODEL is about).
    private var shardModels: [Int: ModelHash] = [:]
    /// For each shard in flight whose job records history: a builder of the job's run to check the
    /// returned chunk against (never filled).
    private var shardHistory: [Int: PredictionBlockBuilder] = [:]

    /// Why a result's history chunk cannot be the one its job needs, nil when it fits: present
    /// exactly when asked for, with the run's columns at their widths.
    static func historyProblem(_ result: Message.ShardResult, template: PredictionBlockBuilder?) -> String? {
        switch (result.history, template) {
        case (nil, nil): return nil
        case (nil, _?): return "the result has no history chunk, which the shard asked for"
        case (_?, nil): return "the result has a history chunk, which the shard did not ask for"
        case let (chunk?, template?):
            do {
                try template.check(chunk.parts, columnSizes: chunk.columns.map(\.count))
                return nil
            } catch {
                return "bad history chunk: \(error)"
            }
        }
    }

    /// Whether this connection has sent a shard by reference yet (logged once, for the tests and
    /// for operators reading a debug log).
    private var sentReference = false

    func send(shard: ShardRecord, job: PoolJob) {
        let requestId = takeRequestId()
        let message = Message.ScoreShard(shardId: UInt64(shard.key), attempt: shard.attempts, firstLine: shard.firstLine,
                                         modelHash: job.modelHash, rankBy: job.rankBy, topK: UInt16(job.topK),
                                         columns: job.columns, rows: [], withHistory: job.historyTemplate != nil)
        shard.attempts += 1
        inFlight[shard.key] = requestId
        shardModels[shard.key] = job.modelHash
        shardHistory[shard.key] = job.historyTemplate
        if referencing, let input, job.inputIdentity == input, let length = UInt32(exactly: shard.bytes.count) {
            // The worker reads the rows from the file itself: nothing but this header crosses the socket.
            let reference = Message.ScoreShardReference(shard: message, device: input.device, inode: input.inode, size: input.size,
                                                        modifiedNanoseconds: input.modifiedNanoseconds,
                                                        offset: shard.fileOffset, length: length)
            send(.scoreShardReference(reference), requestId: requestId)
            if !sentReference {
                sentReference = true
                logger.debug("shard \(shard.key) sent by reference (the first on this connection)")
            }
            return
        }
        var inline = message
        inline.rows = shard.bytes[...]
        _ = connection?.write(buffers: [inline.encodeHead(requestId: requestId), shard.bytes])
    }

    /// Stops waiting for a shard (another worker finished it first, or its job is over).
    func cancel(_ key: Int) {
        shardModels[key] = nil
        shardHistory[key] = nil
        guard inFlight.removeValue(forKey: key) != nil else { return }
        send(.cancel(.init(shardId: UInt64(key))), requestId: takeRequestId())
    }

    private func handBack(_ key: Int) {
        shardModels[key] = nil
        shardHistory[key] = nil
        guard inFlight.removeValue(forKey: key) != nil else { return }
        dispatcher?.handBack(key, from: self)
    }

    private func takeRequestId() -> UInt64 { session.takeRequestId() }

    private func send(_ message: Message, requestId: UInt64, flags: FrameFlags = []) {
        _ = connection?.write(message.encode(requestId: requestId, flags: flags))
    }

    // MARK: Liveness

    private func tick() {
        perform(session.tick(now: now))
    }

    private func protocolFailure(_ reason: String) {
        logger.warning("dropping connection: \(reason)")
        lastProblem = reason
        counters.errors += 1
        connection?.close()
    }

    private func closed(_ reason: CloseReason) {
        connection = nil
        heartbeat?.close()
        heartbeat = nil
        if state == .refused || state == .finished { return }
        lost(lastProblem ?? "connection \(reason)")
    }

    /// The worker is gone: the dispatcher takes its shards back; try again later.
    private func lost(_ reason: String) {
        lastProblem = reason
        let wasAlive = isAlive
        let wasDraining = state == .draining
        state = .down
        spooling = false
        referencing = false
        let hadShards = !inFlight.isEmpty
        inFlight.removeAll()
        shardModels.removeAll()
        shardHistory.removeAll()
        pendingModels.removeAll()
        models.removeAll()
        if wasDraining && !hadShards {
            logger.info("worker finished draining: \(reason)")
        } else if wasAlive {
            counters.errors += 1
            logger.warning("lost worker: \(reason)")
        }
        dispatcher?.linkDown(self)
        guard dispatcher?.isRunning == true else { return }
        let delay = reconnectDelayMs
        reconnectDelayMs = min(2000, reconnectDelayMs * 2)
        LoopTimer.once(loop: loop, after: .milliseconds(delay)) { [weak self] in
            guard let self, self.dispatcher?.isRunning == true, self.state == .down else { return }
            self.connect()
        }
    }

    /// Says goodbye and closes (the pool is closing).
    func finish() {
        heartbeat?.close()
        heartbeat = nil
        let wasRefused = state == .refused
        state = .finished
        if let c = connection, !wasRefused {
            perform([session.goodbye("pool closed")])
            c.shutdownAndClose()
        }
    }
}
