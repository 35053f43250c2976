import ChurnCore
import ChurnTransport
import ChurnWire
import ChurnIO
import Foundation
import Logging

/// One connection from the coordinator to a worker: connect, handshake, make sure the worker holds
/// the model, then carry SCORE_SHARDs under the worker's credit window, heartbeat, and report what
/// happens to the `Dispatcher`. Reconnects after losing the worker, unless the worker refused us.
///
/// Threading: loop thread only.
final class WorkerLink {
    enum State: Equatable {
        case idle, connecting, handshaking, checkingModel, loadingModel, ready
        /// The worker said GOODBYE or is shutting down: no new shards.
        case draining
        /// Lost; a reconnect is scheduled.
        case down
        /// Refused the handshake (wrong secret, no common version): never retried.
        case refused
        /// The run is over; closed on purpose.
        case finished
    }

    let endpoint: WorkerEndpoint
    /// Weak: the loop may deliver a late callback (a cancelled connect, a timer) after the run ended.
    private weak var dispatcher: Dispatcher?
    private let settings: Settings

    /// What every link of a run shares.
    struct Settings {
        var secret: [UInt8]?
        var modelHash: ModelHash
        var modelBytes: [UInt8]
        var rankBy: RankBy
        var topK: Int
        var heartbeatTimeout: UInt64
    }
    private let loop: EventLoop
    private var logger: Logger
    private(set) var state: State = .idle
    private var connection: TCPConnection?
    private var decoder = FrameDecoder()
    private var handshake: ClientHandshake
    private var nextRequestId: UInt64 = 1
    /// Shard index → request id and send time.
    private(set) var inFlight: [Int: (requestId: UInt64, sentAt: UInt64)] = [:]
    private var window = 1
    private var lastHeard: UInt64 = 0
    private var heartbeat: LoopTimer?
    private var reconnectDelayMs = 100
    /// Why the last attempt failed (for "no worker accepted" and "all workers lost").
    private(set) var lastProblem: String?
    private(set) var everReady = false
    private(set) var shardsDone = 0

    init(endpoint: WorkerEndpoint, dispatcher: Dispatcher, settings: Settings, loop: EventLoop, logger: Logger) {
        self.endpoint = endpoint
        self.dispatcher = dispatcher
        self.settings = settings
        self.loop = loop
        self.logger = logger
        self.logger[metadataKey: "worker"] = "\(endpoint)"
        handshake = Self.makeHandshake(settings)
    }

    private static func makeHandshake(_ s: Settings) -> ClientHandshake {
        ClientHandshake(configuration: .init(name: "churn-coordinator@\(ProcessInfo.processInfo.hostName)", secret: s.secret),
                        clientNonce: .random(), mac: HMACSHA256.mac)
    }

    var freeCredit: Int { state == .ready ? max(0, window - inFlight.count) : 0 }
    var isAlive: Bool { state == .ready || state == .draining }

    // MARK: Connecting

    func connect() {
        guard state == .idle || state == .down else { return }
        state = .connecting
        decoder = FrameDecoder()
        handshake = Self.makeHandshake(settings)
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
        c.onClose = { [weak self] reason in self?.closed(reason) }
        lastHeard = DispatchTime.now().uptimeNanoseconds
        act(handshake.start())
        let timer = LoopTimer(loop: loop) { [weak self] in self?.tick() }
        timer.start(after: .milliseconds(500), repeating: .milliseconds(500))
        heartbeat = timer
    }

    private func act(_ action: HandshakeAction) {
        switch action {
        case let .send(message, requestId):
            send(message, requestId: requestId)
        case let .sendAndEstablish(message, requestId, session):
            send(message, requestId: requestId)
            established(session)
        case let .establish(session):
            established(session)
        case let .sendErrorAndClose(code, text, requestId):
            send(.error(.init(code: code, message: text)), requestId: requestId, flags: .endOfStream)
            refuse(text)
        case let .close(reason):
            refuse(reason)
        case let .forward(message, requestId):
            handle(message, requestId: requestId)
        }
    }

    private func established(_ session: HandshakeSession) {
        window = max(1, Int(session.maxShardsInFlight))
        nextRequestId = max(nextRequestId, handshake.nextRequestId)
        logger.debug("handshake done: \(session.peerName), window \(window)")
        state = .checkingModel
        send(.modelCheck(.init(hash: settings.modelHash)), requestId: takeRequestId())
    }

    /// The worker refused us for good (authentication, version): report and never retry.
    private func refuse(_ reason: String) {
        lastProblem = reason
        state = .refused
        logger.warning("worker refused: \(reason)")
        connection?.shutdownAndClose()
        dispatcher?.linkRefused(self, reason: reason)
    }

    // MARK: Frames in

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lastHeard = DispatchTime.now().uptimeNanoseconds
        decoder.feed(bytes)
        do {
            while let frame = try decoder.next() {
                let message = try Message.decode(frame)
                if state == .handshaking {
                    act(handshake.received(message, requestId: frame.requestId))
                } else {
                    handle(message, requestId: frame.requestId)
                }
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
                becomeReady()
            } else {
                state = .loadingModel
                send(.loadModel(.init(hash: settings.modelHash, json: settings.modelBytes)), requestId: takeRequestId())
            }
        case .modelLoaded:
            becomeReady()
        case let .shardResult(result):
            let index = Int(result.shardId)
            guard let sent = inFlight.removeValue(forKey: index) else { return }  // cancelled or duplicate
            shardsDone += 1
            dispatcher?.resultArrived(result, from: self, nanoseconds: DispatchTime.now().uptimeNanoseconds &- sent.sentAt)
        case .heartbeatAck:
            break
        case let .goodbye(goodbye):
            logger.info("worker said goodbye: \(goodbye.reason)")
            state = .draining
            for id in goodbye.unfinishedShardIds { handBack(Int(id)) }
            if inFlight.isEmpty { connection?.shutdownAndClose() }
        case let .error(error):
            handleError(error, requestId: requestId)
        default:
            protocolFailure("unexpected \(message.type.name) from a worker")
        }
    }

    private func handleError(_ error: Message.ErrorMessage, requestId: UInt64) {
        // Which shard was it about?
        let shard = inFlight.first { $0.value.requestId == requestId }?.key
        switch error.code {
        case .cancelled:
            break  // the answer to our CANCEL; the shard already left `inFlight`
        case .badShard:
            dispatcher?.fatal(.badInput(error.message))
        case .invalidModel:
            dispatcher?.fatal(.badInput("worker \(endpoint) rejected the model: \(error.message)"))
        case .overloaded, .shuttingDown, .unknownModel:
            if error.code == .shuttingDown { state = .draining }
            if let shard { handBack(shard) }
            if error.code == .unknownModel, state == .ready {
                state = .loadingModel
                send(.loadModel(.init(hash: settings.modelHash, json: settings.modelBytes)), requestId: takeRequestId())
            }
        default:
            protocolFailure("worker sent error \(error.code): \(error.message)")
        }
    }

    private func becomeReady() {
        state = .ready
        everReady = true
        reconnectDelayMs = 100
        lastProblem = nil
        logger.debug("ready")
        dispatcher?.linkReady(self)
    }

    // MARK: Shards out

    func send(shard: ShardRecord, columns: [String]) {
        let requestId = takeRequestId()
        let message = Message.ScoreShard(shardId: UInt64(shard.index), attempt: shard.attempts, firstLine: shard.firstLine,
                                         modelHash: settings.modelHash, rankBy: settings.rankBy, topK: UInt16(settings.topK),
                                         columns: columns, rows: shard.bytes[...])
        shard.attempts += 1
        inFlight[shard.index] = (requestId, DispatchTime.now().uptimeNanoseconds)
        _ = connection?.write(buffers: [message.encodeHead(requestId: requestId), shard.bytes])
    }

    /// Stops waiting for a shard (another worker finished it first).
    func cancel(_ index: Int) {
        guard inFlight.removeValue(forKey: index) != nil else { return }
        send(.cancel(.init(shardId: UInt64(index))), requestId: takeRequestId())
        dispatcher?.creditFreed()
    }

    private func handBack(_ index: Int) {
        guard inFlight.removeValue(forKey: index) != nil else { return }
        dispatcher?.handBack(index, from: self, lost: false)
    }

    /// Oldest in-flight shard and when it was sent.
    var oldestInFlight: (index: Int, sentAt: UInt64)? {
        inFlight.min { $0.value.sentAt < $1.value.sentAt }.map { ($0.key, $0.value.sentAt) }
    }

    private func takeRequestId() -> UInt64 {
        defer { nextRequestId &+= 1 }
        return nextRequestId
    }

    private func send(_ message: Message, requestId: UInt64, flags: FrameFlags = []) {
        _ = connection?.write(message.encode(requestId: requestId, flags: flags))
    }

    // MARK: Liveness

    private func tick() {
        let now = DispatchTime.now().uptimeNanoseconds
        let silentFor = now &- lastHeard
        if silentFor > settings.heartbeatTimeout {
            protocolFailure("no answer for \(silentFor / 1_000_000) ms")
            return
        }
        if state != .handshaking {
            send(.heartbeat(.init(sentAt: now)), requestId: takeRequestId())
        }
    }

    private func protocolFailure(_ reason: String) {
        logger.warning("dropping connection: \(reason)")
        lastProblem = reason
        connection?.close()
    }

    private func closed(_ reason: CloseReason) {
        connection = nil
        heartbeat?.close()
        heartbeat = nil
        if state == .refused || state == .finished { return }
        lost(lastProblem ?? "connection \(reason)")
    }

    /// The worker is gone: hand its shards back and try again later.
    private func lost(_ reason: String) {
        lastProblem = reason
        let wasAlive = isAlive
        let wasDraining = state == .draining
        state = .down
        let lostShards = Array(inFlight.keys)
        inFlight.removeAll()
        if wasDraining && lostShards.isEmpty {
            logger.info("worker finished draining: \(reason)")
        } else if wasAlive {
            logger.warning("lost worker: \(reason)")
        }
        for index in lostShards { dispatcher?.handBack(index, from: self, lost: true) }
        dispatcher?.linkDown(self)
        guard dispatcher?.isRunning == true else { return }
        let delay = reconnectDelayMs
        reconnectDelayMs = min(2000, reconnectDelayMs * 2)
        LoopTimer.once(loop: loop, after: .milliseconds(delay)) { [weak self] in
            guard let self, self.dispatcher?.isRunning == true, self.state == .down else { return }
            self.connect()
        }
    }

    /// Says goodbye and closes (end of run).
    func finish() {
        heartbeat?.close()
        heartbeat = nil
        let wasRefused = state == .refused
        state = .finished
        if let c = connection, !wasRefused {
            send(.goodbye(.init(reason: "run finished")), requestId: takeRequestId(), flags: .endOfStream)
            c.shutdownAndClose()
        }
    }
}
