import ChurnTransport
import ChurnWire
import ChurnIO
import Foundation

/// A general-purpose client session with one worker, for tools (`churn cluster status`,
/// `churn loadtest`): connect, handshake, then requests matched to replies by request id.
/// The pool's `WorkerLink` is the long-lived version for scoring jobs; both run the same
/// `ClientSession` core (handshake, request ids, GOODBYE).
///
/// Threading: loop thread only; completions run on the loop thread.
final class WorkerClient {
    let endpoint: WorkerEndpoint
    private let loop: EventLoop
    private var connection: TCPConnection?
    private var decoder = FrameDecoder()
    private var core: ClientSession
    private var waiting: [UInt64: (Result<Message, ClientError>) -> Void] = [:]
    private var onReady: ((Result<HandshakeSession, ClientError>) -> Void)?
    private(set) var session: HandshakeSession?
    /// Called once if the connection closes after the handshake.
    var onClose: ((String) -> Void)?

    /// Why a request or the session failed, by class (for the load tester's error counts).
    enum ClientError: Error, CustomStringConvertible {
        case connect(String)
        case handshake(String)
        case protocolError(String)
        case server(ErrorCode, String)
        case closed(String)
        case timeout

        var description: String {
            switch self {
            case .connect(let s): return "cannot connect: \(s)"
            case .handshake(let s): return "handshake refused: \(s)"
            case .protocolError(let s): return "protocol error: \(s)"
            case .server(let code, let s): return "worker error \(code): \(s)"
            case .closed(let s): return "connection closed: \(s)"
            case .timeout: return "timed out"
            }
        }

        var errorClass: String {
            switch self {
            case .connect: return "connect"
            case .handshake: return "handshake"
            case .protocolError: return "protocol"
            case .server: return "server error"
            case .closed: return "closed"
            case .timeout: return "timeout"
            }
        }
    }

    init(endpoint: WorkerEndpoint, secret: [UInt8]?, loop: EventLoop, name: String) {
        self.endpoint = endpoint
        self.loop = loop
        // Tools make short requests and time them themselves: no heartbeat timeout of their own.
        core = ClientSession(name: name, secret: secret, heartbeatTimeout: .max, now: 0)
    }

    /// Connects and completes the handshake.
    func start(timeout: Duration = .seconds(3), _ completion: @escaping (Result<HandshakeSession, ClientError>) -> Void) {
        onReady = completion
        connection = TCPConnection.connect(loop: loop, host: endpoint.host, port: endpoint.port, timeout: timeout) { [weak self] result in
            guard let self else { return }
            switch result {
            case .success(let c):
                c.onRead = { [weak self] bytes in self?.received(bytes) }
                // Results land in the decoder's own buffer, which becomes the frame: no copy on the way in.
                c.readSpace = { [weak self] in self?.decoder.readSpace() }
                c.onClose = { [weak self] reason in self?.closed("\(reason)") }
                self.perform(self.core.start())
            case .failure(let error):
                self.connection = nil
                self.readyResult(.failure(.connect("\(error)")))
            }
        }
    }

    private func readyResult(_ result: Result<HandshakeSession, ClientError>) {
        if let r = onReady {
            onReady = nil
            r(result)
        }
    }

    private func perform(_ actions: [ClientSession.Action]) {
        for action in actions {
            switch action {
            case let .send(m, id):
                _ = connection?.write(m.encode(requestId: id, flags: m.closesStream ? .endOfStream : []))
            case let .established(s):
                session = s
                readyResult(.success(s))
            case let .refuse(reason):
                readyResult(.failure(.handshake(reason)))
                connection?.shutdownAndClose()
            case let .deliver(m, id):
                deliver(m, requestId: id)
            case let .drop(reason):
                fail(.protocolError(reason))
                connection?.close()
            }
        }
    }

    /// Sends a request; `completion` gets the reply with the same request id.
    func request(_ message: Message, _ completion: @escaping (Result<Message, ClientError>) -> Void) {
        guard let connection, connection.isOpen else { return failLater(completion) }
        let id = core.takeRequestId()
        waiting[id] = completion
        _ = connection.write(message.encode(requestId: id))
    }

    /// Sends a shard without copying its rows into a frame.
    func score(_ shard: Message.ScoreShard, rows: [UInt8], _ completion: @escaping (Result<Message, ClientError>) -> Void) {
        guard let connection, connection.isOpen else { return failLater(completion) }
        let id = core.takeRequestId()
        waiting[id] = completion
        _ = connection.write(buffers: [shard.encodeHead(requestId: id), rows])
    }

    /// Whether requests can be sent now.
    var isConnected: Bool { session != nil && connection?.isOpen == true }

    /// Completions never run inside the call that made the request (callers may send again from them).
    private func failLater(_ completion: @escaping (Result<Message, ClientError>) -> Void) {
        _ = loop.execute { completion(.failure(.closed("not connected"))) }
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        decoder.feed(bytes)
        do {
            while let frame = try decoder.next() {
                let m = try Message.decode(frame)
                perform(core.received(m, requestId: frame.requestId, now: 0))
            }
        } catch {
            fail(.protocolError("\(error)"))
            connection?.close()
        }
    }

    private func deliver(_ m: Message, requestId: UInt64) {
        if case let .goodbye(g) = m {
            closed("worker said goodbye: \(g.reason)")
            return
        }
        guard let completion = waiting.removeValue(forKey: requestId) else { return }
        if case let .error(e) = m {
            completion(.failure(.server(e.code, e.message)))
        } else {
            completion(.success(m))
        }
    }

    private func fail(_ error: ClientError) {
        let pending = waiting
        waiting.removeAll()
        for (_, c) in pending { c(.failure(error)) }
    }

    private func closed(_ reason: String) {
        readyResult(.failure(.closed(reason)))
        fail(.closed(reason))
        if connection != nil {
            connection = nil
            onClose?(reason)
        }
    }

    var inFlight: Int { waiting.count }

    func close() {
        if let c = connection {
            if case let .send(m, id) = core.goodbye("done") { _ = c.write(m.encode(requestId: id, flags: .endOfStream)) }
            c.shutdownAndClose()
        }
    }

    /// Makes sure the worker holds a model (MODEL_CHECK, then LOAD_MODEL if needed).
    func ensureModel(hash: ModelHash, bytes: [UInt8], _ completion: @escaping (Result<Void, ClientError>) -> Void) {
        request(.modelCheck(.init(hash: hash))) { [weak self] result in
            switch result {
            case .success(.modelStatus(let s)) where s.present:
                completion(.success(()))
            case .success(.modelStatus):
                self?.request(.loadModel(.init(hash: hash, json: bytes))) { r in
                    switch r {
                    case .success: completion(.success(()))
                    case .failure(let e): completion(.failure(e))
                    }
                }
            case .success(let other):
                completion(.failure(.protocolError("unexpected \(other.type.name)")))
            case .failure(let e):
                completion(.failure(e))
            }
        }
    }
}
