import ChurnTransport
import ChurnWire
import Foundation
import Logging

/// A scoring worker: one libuv loop owns the listener and every connection; a pool of threads
/// parses and scores shards; SIGTERM/SIGINT drain it (finish in-flight shards, say GOODBYE, close
/// every handle) and `run()` returns.
public final class WorkerServer: @unchecked Sendable {  // loop thread only, except `shutdown()`, which posts to the loop
    public let configuration: WorkerConfiguration
    let logger: Logger
    let models = ModelCache()
    let pool: ScoringPool
    /// The input file shards may be read from (`configuration.inputFile`, opened at start-up), nil
    /// when there is none or it could not be opened: SCORE_SHARD_REF is then refused.
    let input: SharedInputFile?
    private let loop: EventLoop
    private var listener: TCPListener?
    private var signals: SignalWatcher?
    private var connections: [ObjectIdentifier: WorkerConnection] = [:]
    private(set) var draining = false
    /// Refusals are logged at most once a second, with a count of those not logged.
    private var refusalLog = RateLimitedLog(interval: 1)
    private let started = Date()
    var stats = Counters()

    /// Running totals reported by STATS (loop thread only).
    struct Counters {
        var shardsScored: UInt64 = 0
        var rowsScored: UInt64 = 0
        var rowsRejected: UInt64 = 0
        var errors: UInt64 = 0
    }

    public init(configuration: WorkerConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        loop = try EventLoop()
        pool = ScoringPool(threads: configuration.threads)
        switch configuration.inputFile.map({ SharedInputFile.open($0) }) {
        case .success(let file)?:
            MappedRanges.install()
            input = file
        case .failure(let reason)?:
            logger.warning("input file for shards by reference: \(reason.description); shards must carry their rows")
            input = nil
        case nil:
            input = nil
        }
    }

    /// Binds, calls `ready` with the bound address (port 0 gives a free port), and serves until drained.
    /// - Parameter handleSignals: drain on SIGTERM/SIGINT (the `churn worker` process); false for a
    ///   worker embedded in another program (tests), which calls `shutdown()` instead.
    /// - Returns: 0 after a clean shutdown.
    public func run(handleSignals: Bool = true, ready: (String, Int) -> Void) throws -> Int32 {
        // A process started from a thread that blocks signals inherits the mask; drain must work anyway.
        var shutdownSignals = sigset_t()
        sigemptyset(&shutdownSignals)
        sigaddset(&shutdownSignals, SIGTERM)
        sigaddset(&shutdownSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &shutdownSignals, nil)
        let listener = try TCPListener.bind(loop: loop, host: configuration.host, port: configuration.port) { [unowned self] connection in
            self.accepted(connection)
        }
        self.listener = listener
        if handleSignals {
            signals = try SignalWatcher(loop: loop) { [unowned self] signal in
                self.logger.info("signal \(signal): draining")
                self.drain()
            }
        }
        logger.info("listening on \(configuration.host):\(listener.port) with \(configuration.threads) scoring threads")
        ready(configuration.host, listener.port)
        let result = loop.run()
        pool.shutdown()
        logger.info("stopped (\(stats.shardsScored) shards, \(stats.rowsScored) rows scored)")
        return result == 0 ? 0 : 1
    }

    private func accepted(_ connection: TCPConnection) {
        guard !draining else {
            connection.close()
            return
        }
        guard connections.count < configuration.maxConnections else {
            refuse(connection, "too many connections",
                   log: "\(connections.count) connections open (limit \(configuration.maxConnections))")
            return
        }
        // One address may not hold every slot with connections that never authenticate.
        let host = Self.host(of: connection.peerAddress)
        let pending = connections.values.reduce(0) { $0 + (!$1.isEstablished && $1.peerHost == host ? 1 : 0) }
        guard pending < configuration.maxHandshakesPerAddress else {
            refuse(connection, "too many unauthenticated connections from \(host)",
                   log: "\(pending) connections from \(host) have not finished the handshake (limit \(configuration.maxHandshakesPerAddress))")
            return
        }
        let c = WorkerConnection(connection: connection, server: self)
        connections[ObjectIdentifier(c)] = c
        logger.debug("accepted \(c.peer) (\(connections.count) open)")
    }

    /// Answers ERROR 10 OVERLOADED (END_OF_STREAM) and closes.
    private func refuse(_ connection: TCPConnection, _ reason: String, log: String) {
        if let suppressed = refusalLog.admit(now: Date()) {
            let more = suppressed > 0 ? " (\(suppressed) more refused since the last report)" : ""
            logger.warning("refusing \(connection.peerAddress): \(log)\(more)")
        }
        _ = connection.write(Message.error(.init(code: .overloaded, message: reason)).encode(requestId: 0, flags: .endOfStream))
        connection.shutdownAndClose()
    }

    /// The host part of a peer address (`1.2.3.4:5` → `1.2.3.4`, `[::1]:5` → `::1`).
    static func host(of peer: String) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        return String(peer[..<colon])
    }

    private var spoolNumbers = 0

    /// A number for a connection's spool file names, unique in this process (loop thread only).
    func nextSpoolNumber() -> Int {
        spoolNumbers += 1
        return spoolNumbers
    }

    func connectionClosed(_ c: WorkerConnection) {
        connections[ObjectIdentifier(c)] = nil
        if draining && connections.isEmpty { finishDrain() }
    }

    /// Stops accepting, lets in-flight shards finish, says GOODBYE, closes.
    func drain() {
        guard !draining else { return }
        draining = true
        listener?.close()
        listener = nil
        if connections.isEmpty {
            finishDrain()
            return
        }
        for c in connections.values { c.drain() }
        LoopTimer.once(loop: loop, after: configuration.drainTimeout) { [weak self] in
            guard let self, !self.connections.isEmpty else { return }
            self.logger.warning("drain timeout: closing \(self.connections.count) connections with work in flight")
            for c in self.connections.values { c.closeNow() }
        }
    }

    /// Drains and stops the worker, as SIGTERM does (callable from any thread).
    public func shutdown() {
        _ = loop.execute { [self] in drain() }
    }

    private func finishDrain() {
        signals?.close()
        loop.stop()
    }

    func statsMessage() -> Message.Stats {
        Message.Stats(uptimeSeconds: Date().timeIntervalSince(started), connections: UInt32(connections.count),
                      shardsScored: stats.shardsScored, rowsScored: stats.rowsScored, rowsRejected: stats.rowsRejected,
                      errors: stats.errors, queueDepth: UInt32(pool.queueDepth),
                      shardsInFlight: UInt32(connections.values.reduce(0) { $0 + $1.inFlight.count }),
                      modelHashes: models.hashes, workerThreads: UInt16(configuration.threads), protocolVersions: Message.versionsSpoken)
    }
}
