import ChurnCore
import ChurnEngine
import ChurnIO
import ChurnTransport
import ChurnWire
import Foundation
import Logging

/// One client connection of a worker: framing, handshake, and the client's requests.
///
/// Threading: owned by the event loop thread. Scoring jobs run on the pool and come back through
/// `EventLoop.execute`; they read only the immutable job data and the `CancelFlags`.
final class WorkerConnection {
    private let connection: TCPConnection
    private unowned let server: WorkerServer
    private var decoder: FrameDecoder
    private var handshake: ServerHandshake
    private var idleTimer: LoopTimer!
    private let cancelled = CancelFlags()
    /// Shards accepted and not yet answered.
    private(set) var inFlight: Set<UInt64> = []
    private var closing = false
    private var readingPaused = false
    /// A LOAD_MODEL is being verified and compiled off the loop; later frames of this connection
    /// wait (in the decoder, with reading paused) so that requests keep their order.
    private var loadingModel = false
    /// Set once the client asked SPOOL_RESULTS for the worker's own spool directory (version 5).
    private var spool: ResultSpool?
    let peer: String
    /// The peer's address without the port (for the per-address handshake limit).
    let peerHost: String
    private var logger: Logger

    /// Handshake frames are small: until the peer has authenticated, accept only this much.
    private static let preAuthMaxFrame = 64 << 10

    init(connection: TCPConnection, server: WorkerServer) {
        self.connection = connection
        self.server = server
        peer = connection.peerAddress
        peerHost = WorkerServer.host(of: connection.peerAddress)
        logger = server.logger
        logger[metadataKey: "peer"] = "\(connection.peerAddress)"
        decoder = FrameDecoder(maxFrameSize: min(Self.preAuthMaxFrame, server.configuration.maxFrameSize))
        let c = server.configuration
        handshake = ServerHandshake(
            configuration: .init(name: c.name, maxFrameSize: UInt32(c.maxFrameSize),
                                 maxShardsInFlight: UInt16(c.maxShardsInFlight), secret: c.secret),
            serverNonce: .random(), mac: HMACSHA256.mac)
        idleTimer = LoopTimer(loop: connection.loop) { [weak self] in self?.timedOut() }
        idleTimer.start(after: c.handshakeTimeout)
        connection.onRead = { [weak self] bytes in self?.received(bytes) }
        // Shards land in the decoder's own buffer, which becomes the frame: no copy on the way in.
        connection.readSpace = { [weak self] in self?.decoder.readSpace() }
        connection.onClose = { [weak self] reason in self?.closed(reason) }
        connection.onDrained = { [weak self] in self?.drained() }
    }

    var isEstablished: Bool { handshake.session != nil }

    // MARK: Bytes in

    private func received(_ bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        decoder.feed(bytes)
        processFrames()
    }

    private func processFrames() {
        do {
            while !closing && !loadingModel, let frame = try decoder.next() {
                handle(frame)
            }
        } catch let error as WireError {
            // Framing is lost (bad magic, checksum, length over the limit): answer and close this
            // connection only.
            server.stats.errors += 1
            fail(error.code, error.description, requestId: 0, close: true)
        } catch {
            fail(.internalError, "\(error)", requestId: 0, close: true)
        }
    }

    private func handle(_ frame: Frame) {
        idleTimer.start(after: handshake.session == nil ? server.configuration.handshakeTimeout : server.configuration.idleTimeout)
        let message: Message
        do {
            message = try Message.decode(frame)
        } catch let error as WireError {
            server.stats.errors += 1
            if error.closesConnection {
                fail(error.code, error.description, requestId: frame.requestId)
            } else {
                send(.error(.init(code: error.code, message: error.description)), requestId: frame.requestId)
            }
            return
        } catch {
            fail(.internalError, "\(error)", requestId: frame.requestId)
            return
        }
        switch handshake.received(message, requestId: frame.requestId) {
        case let .send(reply, requestId):
            send(reply, requestId: requestId)
        case let .sendAndEstablish(reply, requestId, session):
            send(reply, requestId: requestId)
            established(session)
        case let .establish(session):
            established(session)
        case let .sendErrorAndClose(code, text, requestId):
            server.stats.errors += 1
            fail(code, text, requestId: requestId)
        case let .close(reason):
            logger.info("closing: \(reason)")
            closeNow()
        case let .forward(message, requestId):
            request(message, requestId: requestId)
        }
    }

    private func established(_ session: HandshakeSession) {
        decoder.maxFrameSize = server.configuration.maxFrameSize
        // From now on the idle timeout applies, not the handshake's.
        idleTimer.start(after: server.configuration.idleTimeout)
        logger.info("client '\(session.peerName)' connected (protocol v\(session.version), \(session.authenticated ? "authenticated" : "no secret"))")
    }

    // MARK: Requests

    private func request(_ message: Message, requestId: UInt64) {
        switch message {
        case let .heartbeat(h):
            send(.heartbeatAck(.init(sentAt: h.sentAt)), requestId: requestId)
        case let .modelCheck(m):
            send(.modelStatus(.init(hash: m.hash, present: server.models[m.hash] != nil)), requestId: requestId)
        case let .loadModel(m):
            loadModel(m, requestId: requestId)
        case let .scoreShard(shard):
            score(shard, requestId: requestId)
        case let .spoolResults(request):
            spoolResults(request, requestId: requestId)
        case let .scoreShardReference(reference):
            scoreByReference(reference, requestId: requestId)
        case let .cancel(c):
            if inFlight.contains(c.shardId) { cancelled.insert(c.shardId) }
        case .statsRequest:
            send(.stats(server.statsMessage()), requestId: requestId)
        case let .goodbye(g):
            logger.info("client said goodbye: \(g.reason)")
            closeGracefully()
        case let .error(e):
            logger.warning("client sent error \(e.code): \(e.message)")
            closeGracefully()
        default:
            server.stats.errors += 1
            fail(.malformedFrame, "\(message.type.name) is not a request a worker answers", requestId: requestId)
        }
    }

    /// Hashes, parses and compiles the model on a pool thread: a big model must not hold up the loop
    /// (and with it every other connection's heartbeats).
    private func loadModel(_ m: Message.LoadModel, requestId: UInt64) {
        if server.models[m.hash] != nil {
            send(.modelLoaded(.init(hash: m.hash)), requestId: requestId)
            return
        }
        loadingModel = true
        connection.pauseReading()
        let loop = connection.loop
        let models = server.models
        server.pool.submit { [weak self] in
            let failure: String?
            do {
                _ = try models.load(hash: m.hash, json: m.json)
                failure = nil
            } catch {
                failure = "\(error)"
            }
            _ = loop.execute { self?.modelLoaded(m.hash, requestId: requestId, failure: failure) }
        }
    }

    private func modelLoaded(_ hash: ModelHash, requestId: UInt64, failure: String?) {
        loadingModel = false
        guard !closing else { return }
        if let failure {
            server.stats.errors += 1
            send(.error(.init(code: .invalidModel, message: failure)), requestId: requestId)
        } else {
            logger.info("loaded model \(hash.hex.prefix(12))")
            send(.modelLoaded(.init(hash: hash)), requestId: requestId)
        }
        if !readingPaused { connection.resumeReading() }
        processFrames()
    }

    /// SPOOL_RESULTS: accepted only on a version 5 session, by a worker started with a spool
    /// directory, for exactly that directory; anything else is refused and the connection closed, so
    /// a client can never make a worker write where it was not told to by whoever started it.
    private func spoolResults(_ request: Message.SpoolResults, requestId: UInt64) {
        guard let session = handshake.session, session.version >= 5 else {
            server.stats.errors += 1
            send(.error(.init(code: .unknownMessageType, message: "SPOOL_RESULTS needs protocol version 5")), requestId: requestId)
            return
        }
        guard let directory = server.configuration.spoolDirectory else {
            server.stats.errors += 1
            fail(.spoolRefused, "this worker has no spool directory", requestId: requestId)
            return
        }
        guard request.directory == directory else {
            server.stats.errors += 1
            fail(.spoolRefused, "this worker's spool directory is not \(request.directory)", requestId: requestId)
            return
        }
        spool = ResultSpool(directory: directory, connection: server.nextSpoolNumber())
        send(.spoolReady(.init(directory: directory)), requestId: requestId)
    }

    /// SCORE_SHARD_REF: accepted only on a version 6 session, by a worker started with an input
    /// file, for that file as it is now and a range inside it; anything else is refused and the
    /// connection closed. The rows are read on the scoring thread, then scored like SCORE_SHARD's.
    private func scoreByReference(_ reference: Message.ScoreShardReference, requestId: UInt64) {
        guard let session = handshake.session, session.version >= 6 else {
            server.stats.errors += 1
            send(.error(.init(code: .unknownMessageType, message: "SCORE_SHARD_REF needs protocol version 6")), requestId: requestId)
            return
        }
        guard let input = server.input else {
            server.stats.errors += 1
            fail(.inputRefused, "this worker has no input file to read shards from", requestId: requestId)
            return
        }
        if let refusal = input.refusal(reference, maxLength: server.configuration.maxFrameSize) {
            server.stats.errors += 1
            fail(.inputRefused, refusal, requestId: requestId)
            return
        }
        score(reference.shard, requestId: requestId, rowsFrom: (input, reference))
    }

    /// - Parameter rowsFrom: for SCORE_SHARD_REF, the file and range the rows are read from (on the
    ///   scoring thread) instead of `shard.rows`.
    private func score(_ shard: Message.ScoreShard, requestId: UInt64,
                       rowsFrom reference: (SharedInputFile, Message.ScoreShardReference)? = nil) {
        if server.draining {
            send(.error(.init(code: .shuttingDown, message: "worker is draining; send shard \(shard.shardId) elsewhere")), requestId: requestId)
            return
        }
        guard !inFlight.contains(shard.shardId) else {
            // A reused id would slip past the window (and CANCEL could not tell the copies apart).
            server.stats.errors += 1
            send(.error(.init(code: .overloaded, message: "shard \(shard.shardId) is already in flight on this connection")), requestId: requestId)
            return
        }
        guard inFlight.count < server.configuration.maxShardsInFlight else {
            server.stats.errors += 1
            send(.error(.init(code: .overloaded, message: "\(inFlight.count) shards already in flight (window \(server.configuration.maxShardsInFlight))")), requestId: requestId)
            return
        }
        guard let model = server.models[shard.modelHash] else {
            send(.error(.init(code: .unknownModel, message: "model \(shard.modelHash.hex) is not loaded; send LOAD_MODEL first")), requestId: requestId)
            return
        }
        if server.configuration.nullScoring {
            let empty = Message.ShardResult(shardId: shard.shardId, attempt: shard.attempt, rowCount: 0, csv: [],
                                            history: nil, aggregate: ScoreAggregate(topLimit: Int(shard.topK)))
            send(.shardResult(empty), requestId: requestId)
            return
        }
        inFlight.insert(shard.shardId)
        let loop = connection.loop
        let cancelled = self.cancelled
        let spool = self.spool
        server.pool.submit { [weak self] in
            var reply: ShardJob.Reply?
            if cancelled.contains(shard.shardId) {
                reply = nil
            } else if let reference {
                var scored: ShardJob.Reply?
                switch reference.0.withRows(reference.1, { rows -> Void in
                    scored = ShardJob.run(shard, rows: rows, loaded: model, requestId: requestId, spool: spool)
                }) {
                case .success:
                    reply = scored
                case .failure(let reason):
                    // Scored from a file that changed under it: not sent, and its spool file goes.
                    if case let .spooled(_, path, _, _)? = scored { unlink(path) }
                    reply = .failure(.inputRefused, reason.description)
                }
            } else {
                reply = ShardJob.run(shard, loaded: model, requestId: requestId, spool: spool)
            }
            _ = loop.execute { self?.finished(shard.shardId, requestId: requestId, reply: reply) }
        }
    }

    private func finished(_ shardId: UInt64, requestId: UInt64, reply: ShardJob.Reply?) {
        inFlight.remove(shardId)
        let wasCancelled = cancelled.remove(shardId)
        switch reply {
        case let .result(_, _, _, rows, rejected)?, let .spooled(_, _, rows, rejected)?:
            server.stats.shardsScored += 1
            server.stats.rowsScored += rows
            server.stats.rowsRejected += rejected
        case .failure?:
            server.stats.errors += 1
        case nil:
            break
        }
        if case let .spooled(_, path, _, _)? = reply, closing || wasCancelled {
            unlink(path)  // nobody will be told of this file
        }
        if !closing {
            // Every SCORE_SHARD gets exactly one answer (proto-docs): a cancelled one gets CANCELLED.
            switch reply {
            case let .result(head, csv, tail, _, _)? where !wasCancelled:
                write([OutgoingBytes(head), OutgoingBytes(csv.bytes, owner: csv), OutgoingBytes(tail)])
            case let .spooled(frame, _, _, _)? where !wasCancelled:
                write(frame)
            case let .failure(code, text)? where code.closesConnection:
                fail(code, text, requestId: requestId)
            case let .failure(code, text)?:
                send(.error(.init(code: code, message: text)), requestId: requestId)
            default:
                send(.error(.init(code: .cancelled, message: "shard \(shardId) cancelled")), requestId: requestId)
            }
        }
        if inFlight.isEmpty && server.draining { sayGoodbye() }
    }

    // MARK: Bytes out

    private func send(_ message: Message, requestId: UInt64, flags: FrameFlags = []) {
        write(message.encode(requestId: requestId, flags: flags))
    }

    private func write(_ bytes: [UInt8]) {
        write([OutgoingBytes(bytes)])
    }

    private func write(_ parts: [OutgoingBytes]) {
        _ = connection.write(parts)
        if connection.writeQueueSize > server.configuration.maxQueuedWriteBytes && !readingPaused {
            readingPaused = true
            connection.pauseReading()
        }
    }

    private func drained() {
        if readingPaused {
            readingPaused = false
            if !loadingModel { connection.resumeReading() }
        }
    }

    // MARK: Closing

    /// Sends ERROR; when it closes the connection (by its code, or `close`), the frame carries
    /// END_OF_STREAM and the connection closes once it is flushed.
    private func fail(_ code: ErrorCode, _ text: String, requestId: UInt64, close: Bool? = nil) {
        let closes = close ?? code.closesConnection
        logger.warning("\(closes ? "closing connection" : "error"): \(code.name): \(text)")
        send(.error(.init(code: code, message: text)), requestId: requestId, flags: closes ? .endOfStream : [])
        if closes { closeGracefully() }
    }

    private func timedOut() {
        if handshake.session == nil {
            fail(.idleTimeout, "no handshake within \(server.configuration.handshakeTimeout)", requestId: 0)
        } else if inFlight.isEmpty {
            fail(.idleTimeout, "idle for \(server.configuration.idleTimeout)", requestId: 0)
        } else {
            idleTimer.start(after: server.configuration.idleTimeout)
        }
    }

    /// Drain: finish what is in flight, then GOODBYE and close.
    func drain() {
        if inFlight.isEmpty { sayGoodbye() }
    }

    private func sayGoodbye() {
        guard !closing else { return }
        send(.goodbye(.init(reason: "worker shutting down", unfinishedShardIds: [])), requestId: 0, flags: .endOfStream)
        closeGracefully()
    }

    private func closeGracefully() {
        guard !closing else { return }
        closing = true
        connection.shutdownAndClose()
    }

    func closeNow() {
        closing = true
        connection.close()
    }

    private func closed(_ reason: CloseReason) {
        closing = true
        spool?.removeFreedFiles()
        idleTimer.close()
        logger.debug("connection closed: \(reason)")
        server.connectionClosed(self)
    }
}

/// Shard ids a client cancelled; read by scoring threads.
final class CancelFlags: @unchecked Sendable {  // `ids` guarded by `lock`
    private let lock = NSLock()
    private var ids: Set<UInt64> = []

    func insert(_ id: UInt64) {
        lock.lock()
        ids.insert(id)
        lock.unlock()
    }

    func contains(_ id: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ids.contains(id)
    }

    @discardableResult
    func remove(_ id: UInt64) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return ids.remove(id) != nil
    }
}
