import ChurnIO
import ChurnWire

/// The client side of one worker connection with no I/O and no clock of its own: the handshake,
/// request ids and heartbeats. Shared by the pool's `WorkerLink` and the tools' `WorkerClient`
/// (load tester, status probe), so every client behaves alike. Frames go in with the time; what
/// to do comes back as `[ClientSession.Action]`.
struct ClientSession {
    /// What the connection should do.
    enum Action {
        case send(Message, requestId: UInt64)
        /// The handshake succeeded: requests may flow.
        case established(HandshakeSession)
        /// The worker refused us for good (authentication, version): close, never retry.
        case refuse(String)
        /// A message after the handshake, for the owner to handle.
        case deliver(Message, requestId: UInt64)
        /// The peer is silent too long (or broke the protocol): drop the connection.
        case drop(String)
    }

    private var handshake: ClientHandshake
    private(set) var nextRequestId: UInt64 = 1
    private(set) var liveness: Liveness
    private(set) var session: HandshakeSession?
    private(set) var isRefused = false

    /// - Parameters:
    ///   - name: how this client introduces itself in HELLO.
    ///   - heartbeatInterval, heartbeatTimeout: nanoseconds.
    ///   - now: when the connection opened (monotonic nanoseconds).
    init(name: String, secret: [UInt8]?, nonce: Bytes32 = .random(), heartbeatInterval: UInt64 = 500_000_000,
         heartbeatTimeout: UInt64, now: UInt64) {
        handshake = ClientHandshake(configuration: .init(name: name, secret: secret), clientNonce: nonce, mac: HMACSHA256.mac)
        liveness = Liveness(interval: heartbeatInterval, timeout: heartbeatTimeout, now: now)
    }

    var isEstablished: Bool { session != nil }

    /// HELLO.
    mutating func start() -> [Action] { map(handshake.start()) }

    /// A frame from the worker.
    mutating func received(_ message: Message, requestId: UInt64, now: UInt64) -> [Action] {
        liveness.heard(now: now)
        guard session == nil, !isRefused else {
            if case let .heartbeatAck(ack) = message { liveness.acknowledged(sentAt: ack.sentAt, now: now) }
            return [.deliver(message, requestId: requestId)]
        }
        return map(handshake.received(message, requestId: requestId))
    }

    /// Called periodically: heartbeats once established, a drop after too long a silence.
    mutating func tick(now: UInt64) -> [Action] {
        switch liveness.tick(now: now, canSend: isEstablished) {
        case .none: return []
        case .sendHeartbeat(let sentAt): return [.send(.heartbeat(.init(sentAt: sentAt)), requestId: takeRequestId())]
        case .timeout(let ms): return [.drop("no answer for \(ms) ms")]
        }
    }

    /// A fresh request id (never reused on this connection).
    mutating func takeRequestId() -> UInt64 {
        defer { nextRequestId &+= 1 }
        return nextRequestId
    }

    /// The GOODBYE that ends the session from our side.
    mutating func goodbye(_ reason: String) -> Action {
        .send(.goodbye(.init(reason: reason)), requestId: takeRequestId())
    }

    private mutating func map(_ action: HandshakeAction) -> [Action] {
        switch action {
        case let .send(message, requestId):
            return [.send(message, requestId: requestId)]
        case let .sendAndEstablish(message, requestId, s):
            return [.send(message, requestId: requestId)] + establish(s)
        case let .establish(s):
            return establish(s)
        case let .sendErrorAndClose(code, text, requestId):
            isRefused = true
            return [.send(.error(.init(code: code, message: text)), requestId: requestId), .refuse(text)]
        case let .close(reason):
            isRefused = true
            return [.refuse(reason)]
        case let .forward(message, requestId):
            return [.deliver(message, requestId: requestId)]
        }
    }

    private mutating func establish(_ s: HandshakeSession) -> [Action] {
        session = s
        nextRequestId = max(nextRequestId, handshake.nextRequestId)
        return [.established(s)]
    }
}

extension Message {
    /// GOODBYE and ERROR from a client end the stream: they go out with END_OF_STREAM.
    var closesStream: Bool {
        switch self {
        case .goodbye, .error: return true
        default: return false
        }
    }
}
