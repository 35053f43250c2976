/// The coordinator's side of the handshake: HELLO, then AUTH when the worker asks for it, then
/// checking the worker's own proof in AUTH_OK (mutual authentication).
///
/// A client with a secret refuses a worker that does not ask for authentication: such a worker has
/// proven nothing, and could be an impostor.
public struct ClientHandshake: Sendable {
    public struct Configuration: Sendable {
        /// Protocol versions this client speaks.
        public var versions: [UInt16]
        public var name: String
        /// The shared secret; nil only works with workers that have none.
        public var secret: [UInt8]?

        public init(versions: [UInt16] = Message.versionsSpoken, name: String, secret: [UInt8]?) {
            self.versions = versions
            self.name = name
            self.secret = secret
        }
    }

    public enum State: Equatable, Sendable {
        case idle
        case awaitingHelloOK
        case awaitingAuthOK
        case established(HandshakeSession)
        case closed
    }

    public let configuration: Configuration
    public private(set) var state: State = .idle
    /// The request id the connection should use for its next request after the handshake.
    public private(set) var nextRequestId: UInt64
    private let clientNonce: Bytes32
    private let mac: HandshakeMAC
    private var pendingRequestId: UInt64 = 0
    private var helloOK: Message.HelloOK?

    /// - Parameters:
    ///   - clientNonce: fresh random bytes for this connection (`Bytes32.random()`); never reuse one.
    ///   - mac: HMAC-SHA256.
    ///   - firstRequestId: the request id of HELLO; AUTH takes the next one.
    public init(configuration: Configuration, clientNonce: Bytes32, mac: @escaping HandshakeMAC, firstRequestId: UInt64 = 1) {
        self.configuration = configuration
        self.clientNonce = clientNonce
        self.mac = mac
        nextRequestId = firstRequestId
    }

    /// The session once established.
    public var session: HandshakeSession? {
        if case let .established(s) = state { return s }
        return nil
    }

    /// The HELLO to send when the connection opens.
    public mutating func start() -> HandshakeAction {
        guard state == .idle else { return .close("handshake already started") }
        state = .awaitingHelloOK
        return send(.hello(.init(versions: configuration.versions, clientName: configuration.name, clientNonce: clientNonce)))
    }

    /// Feeds one message from the worker.
    public mutating func received(_ message: Message, requestId: UInt64 = 0) -> HandshakeAction {
        switch state {
        case .idle:
            return fail(.malformedFrame, "\(message.type.name) before HELLO was sent")
        case .closed:
            return .close("handshake already failed")
        case .established:
            switch message {
            case .helloOK, .authOK:
                return fail(.malformedFrame, "\(message.type.name) after the handshake finished")
            default:
                return .forward(message, requestId: requestId)
            }
        case .awaitingHelloOK:
            if case let .helloOK(ok) = message, requestId == pendingRequestId { return helloOKReceived(ok) }
            return unexpected(message, requestId: requestId, expected: "HELLO_OK")
        case .awaitingAuthOK:
            if case let .authOK(ok) = message, requestId == pendingRequestId { return authOKReceived(ok) }
            return unexpected(message, requestId: requestId, expected: "AUTH_OK")
        }
    }

    private mutating func helloOKReceived(_ ok: Message.HelloOK) -> HandshakeAction {
        guard configuration.versions.contains(ok.version) else {
            return fail(.unsupportedVersion,
                        "worker chose protocol version \(ok.version); client speaks \(versionList(configuration.versions))")
        }
        helloOK = ok
        switch (ok.authRequired, configuration.secret) {
        case (false, nil):
            return establish(authenticated: false)
        case (false, .some):
            return fail(.authenticationFailed, "worker does not authenticate itself, but this client requires it (a secret is configured)")
        case (true, nil):
            return fail(.authenticationFailed, "worker requires authentication, but this client has no secret")
        case let (true, .some(secret)):
            let proof = HandshakeAuth.clientProof(secret: secret, serverNonce: ok.serverNonce, clientNonce: clientNonce, mac: mac)
            guard let proof32 = Bytes32(proof) else {
                return fail(.internalError, "the MAC function returned \(proof.count) bytes, not 32")
            }
            state = .awaitingAuthOK
            return send(.auth(.init(proof: proof32)))
        }
    }

    private mutating func authOKReceived(_ ok: Message.AuthOK) -> HandshakeAction {
        guard let secret = configuration.secret, let hello = helloOK else { return fail(.internalError, "no secret") }
        let expected = HandshakeAuth.serverProof(secret: secret, clientNonce: clientNonce, serverNonce: hello.serverNonce, mac: mac)
        guard constantTimeEquals(expected, ok.proof.bytes) else {
            return fail(.authenticationFailed, "worker failed to prove it knows the secret")
        }
        return establish(authenticated: true)
    }

    private mutating func establish(authenticated: Bool) -> HandshakeAction {
        let ok = helloOK!
        let s = HandshakeSession(version: ok.version, peerName: ok.workerName, maxFrameSize: ok.maxFrameSize,
                                 maxShardsInFlight: ok.maxShardsInFlight, authenticated: authenticated)
        state = .established(s)
        return .establish(s)
    }

    private mutating func unexpected(_ message: Message, requestId: UInt64, expected: String) -> HandshakeAction {
        switch message {
        case let .error(e):
            state = .closed
            return .close("worker refused the handshake: error \(e.code): \(e.message)")
        case let .goodbye(g):
            state = .closed
            return .close("worker said goodbye during the handshake: \(g.reason)")
        default:
            return fail(.malformedFrame, "\(message.type.name) (request \(requestId)) where \(expected) for request \(pendingRequestId) was expected")
        }
    }

    private mutating func send(_ message: Message) -> HandshakeAction {
        pendingRequestId = nextRequestId
        nextRequestId &+= 1
        return .send(message, requestId: pendingRequestId)
    }

    private mutating func fail(_ code: ErrorCode, _ text: String) -> HandshakeAction {
        state = .closed
        return .sendErrorAndClose(code, text, requestId: 0)
    }
}
