/// What a handshake state machine asks the connection to do next.
public enum HandshakeAction: Equatable, Sendable {
    /// Send this message in a frame with this request id, and keep waiting.
    case send(Message, requestId: UInt64)
    /// Send this message, then treat the connection as established.
    case sendAndEstablish(Message, requestId: UInt64, HandshakeSession)
    /// The connection is established; nothing to send.
    case establish(HandshakeSession)
    /// Send ERROR(code, text) with this request id (flag END_OF_STREAM), then close.
    case sendErrorAndClose(ErrorCode, String, requestId: UInt64)
    /// Close without sending anything (the peer said goodbye or sent an error).
    case close(String)
    /// The handshake is over and this message is not part of it: the connection handles it.
    case forward(Message, requestId: UInt64)
}

/// What both sides agreed on.
public struct HandshakeSession: Equatable, Sendable {
    /// The negotiated protocol version.
    public var version: UInt16
    /// The other side's name (client name on the worker, worker name on the client).
    public var peerName: String
    /// The worker's largest accepted payload.
    public var maxFrameSize: UInt32
    /// The worker's credit window: SCORE_SHARD requests outstanding at once.
    public var maxShardsInFlight: UInt16
    /// Whether the peer proved it knows the shared secret.
    public var authenticated: Bool

    public init(version: UInt16, peerName: String, maxFrameSize: UInt32, maxShardsInFlight: UInt16, authenticated: Bool) {
        self.version = version
        self.peerName = peerName
        self.maxFrameSize = maxFrameSize
        self.maxShardsInFlight = maxShardsInFlight
        self.authenticated = authenticated
    }
}

/// "[1, 2]": how version lists appear in error messages.
func versionList(_ versions: [UInt16]) -> String {
    "[" + versions.map(String.init).joined(separator: ", ") + "]"
}
