/// The worker's side of the handshake: HELLO → HELLO_OK, then AUTH → AUTH_OK when a secret is set.
///
/// A value type that does no I/O: the connection feeds it each decoded message and carries out the
/// returned action. Once established, every message comes back as `.forward`.
public struct ServerHandshake: Sendable {
    public struct Configuration: Sendable {
        /// Protocol versions this worker speaks.
        public var versions: [UInt16]
        public var name: String
        /// Advertised in HELLO_OK: the largest payload this worker accepts.
        public var maxFrameSize: UInt32
        /// Advertised in HELLO_OK: the credit window per connection.
        public var maxShardsInFlight: UInt16
        /// The shared secret; nil accepts clients without AUTH.
        public var secret: [UInt8]?

        public init(versions: [UInt16] = Message.versionsSpoken, name: String, maxFrameSize: UInt32 = UInt32(Frame.defaultMaxFrameSize),
                    maxShardsInFlight: UInt16, secret: [UInt8]?) {
            self.versions = versions
            self.name = name
            self.maxFrameSize = maxFrameSize
            self.maxShardsInFlight = maxShardsInFlight
            self.secret = secret
        }
    }

    public enum State: Equatable, Sendable {
        case awaitingHello
        case awaitingAuth
        case established(HandshakeSession)
        case closed
    }

    public let configuration: Configuration
    public private(set) var state: State = .awaitingHello
    private let serverNonce: Bytes32
    private let mac: HandshakeMAC
    private var clientNonce = Bytes32.zero
    private var clientName = ""
    private var version: UInt16 = 0

    /// - Parameters:
    ///   - serverNonce: fresh random bytes for this connection (`Bytes32.random()`); never reuse one.
    ///   - mac: HMAC-SHA256.
    public init(configuration: Configuration, serverNonce: Bytes32, mac: @escaping HandshakeMAC) {
        self.configuration = configuration
        self.serverNonce = serverNonce
        self.mac = mac
    }

    /// The session once established.
    public var session: HandshakeSession? {
        if case let .established(s) = state { return s }
        return nil
    }

    /// Feeds one message from the client.
    public mutating func received(_ message: Message, requestId: UInt64 = 0) -> HandshakeAction {
        switch state {
        case .closed:
            return .close("handshake already failed")
        case .established:
            switch message {
            case .hello, .auth:
                return fail(.malformedFrame, "\(message.type.name) after the handshake finished", requestId)
            default:
                return .forward(message, requestId: requestId)
            }
        case .awaitingHello:
            switch message {
            case let .hello(hello):
                return helloReceived(hello, requestId: requestId)
            default:
                return outOfOrder(message, requestId: requestId, expected: "HELLO")
            }
        case .awaitingAuth:
            switch message {
            case let .auth(auth):
                return authReceived(auth, requestId: requestId)
            default:
                return outOfOrder(message, requestId: requestId, expected: "AUTH")
            }
        }
    }

    private mutating func helloReceived(_ hello: Message.Hello, requestId: UInt64) -> HandshakeAction {
        guard let chosen = configuration.versions.filter(hello.versions.contains).max() else {
            return fail(.unsupportedVersion,
                        "no common protocol version; worker speaks \(versionList(configuration.versions)), client speaks \(versionList(hello.versions))",
                        requestId)
        }
        version = chosen
        clientNonce = hello.clientNonce
        clientName = hello.clientName
        let reply = Message.helloOK(.init(version: chosen, workerName: configuration.name,
                                          maxFrameSize: configuration.maxFrameSize,
                                          maxShardsInFlight: configuration.maxShardsInFlight,
                                          authRequired: configuration.secret != nil, serverNonce: serverNonce))
        if configuration.secret == nil {
            let s = session(authenticated: false)
            state = .established(s)
            return .sendAndEstablish(reply, requestId: requestId, s)
        }
        state = .awaitingAuth
        return .send(reply, requestId: requestId)
    }

    private mutating func authReceived(_ auth: Message.Auth, requestId: UInt64) -> HandshakeAction {
        let secret = configuration.secret ?? []
        let expected = HandshakeAuth.clientProof(secret: secret, serverNonce: serverNonce, clientNonce: clientNonce, mac: mac)
        guard constantTimeEquals(expected, auth.proof.bytes) else {
            return fail(.authenticationFailed, "authentication failed", requestId)
        }
        let proof = HandshakeAuth.serverProof(secret: secret, clientNonce: clientNonce, serverNonce: serverNonce, mac: mac)
        guard let proof32 = Bytes32(proof) else {
            return fail(.internalError, "the MAC function returned \(proof.count) bytes, not 32", requestId)
        }
        let s = session(authenticated: true)
        state = .established(s)
        return .sendAndEstablish(.authOK(.init(proof: proof32)), requestId: requestId, s)
    }

    private mutating func outOfOrder(_ message: Message, requestId: UInt64, expected: String) -> HandshakeAction {
        switch message {
        case let .goodbye(g):
            state = .closed
            return .close("client said goodbye during the handshake: \(g.reason)")
        case let .error(e):
            state = .closed
            return .close("client sent error \(e.code): \(e.message)")
        default:
            return fail(.notAuthenticated, "\(message.type.name) before the handshake finished (expected \(expected))", requestId)
        }
    }

    private mutating func fail(_ code: ErrorCode, _ text: String, _ requestId: UInt64) -> HandshakeAction {
        state = .closed
        return .sendErrorAndClose(code, text, requestId: requestId)
    }

    private func session(authenticated: Bool) -> HandshakeSession {
        HandshakeSession(version: version, peerName: clientName, maxFrameSize: configuration.maxFrameSize,
                         maxShardsInFlight: configuration.maxShardsInFlight, authenticated: authenticated)
    }
}
