/// The message type byte of a frame header.
public enum MessageType: UInt8, CaseIterable, Sendable {
    case hello = 0x01
    case helloOK = 0x02
    case auth = 0x03
    case authOK = 0x04
    case modelCheck = 0x10
    case modelStatus = 0x11
    case loadModel = 0x12
    case modelLoaded = 0x13
    case scoreShard = 0x20
    case shardResult = 0x21
    case spoolResults = 0x22
    case spoolReady = 0x23
    case shardResultSpooled = 0x24
    case scoreShardReference = 0x25
    case heartbeat = 0x30
    case heartbeatAck = 0x31
    case cancel = 0x40
    case statsRequest = 0x50
    case stats = 0x51
    case goodbye = 0x60
    case error = 0x7F

    /// The name used in proto-docs, e.g. "SCORE_SHARD".
    public var name: String {
        switch self {
        case .hello: return "HELLO"
        case .helloOK: return "HELLO_OK"
        case .auth: return "AUTH"
        case .authOK: return "AUTH_OK"
        case .modelCheck: return "MODEL_CHECK"
        case .modelStatus: return "MODEL_STATUS"
        case .loadModel: return "LOAD_MODEL"
        case .modelLoaded: return "MODEL_LOADED"
        case .scoreShard: return "SCORE_SHARD"
        case .shardResult: return "SHARD_RESULT"
        case .spoolResults: return "SPOOL_RESULTS"
        case .spoolReady: return "SPOOL_READY"
        case .shardResultSpooled: return "SHARD_RESULT_SPOOLED"
        case .scoreShardReference: return "SCORE_SHARD_REF"
        case .heartbeat: return "HEARTBEAT"
        case .heartbeatAck: return "HEARTBEAT_ACK"
        case .cancel: return "CANCEL"
        case .statsRequest: return "STATS_REQUEST"
        case .stats: return "STATS"
        case .goodbye: return "GOODBYE"
        case .error: return "ERROR"
        }
    }

    /// The type whose proto-docs name is `name`.
    public init?(name: String) {
        guard let t = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = t
    }

    /// The name of a raw type byte, known or not.
    public static func name(of raw: UInt8) -> String {
        MessageType(rawValue: raw)?.name ?? "type 0x\(String(raw, radix: 16))"
    }

    /// Whether this message may be sent before the handshake has finished.
    public var isHandshake: Bool {
        switch self {
        case .hello, .helloOK, .auth, .authOK, .error, .goodbye: return true
        default: return false
        }
    }
}
