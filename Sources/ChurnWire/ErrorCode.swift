/// The code carried by an ERROR frame (proto-docs/errors.md has the table).
///
/// A struct rather than an enum so that codes added by later protocol versions still decode.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// The frame or its payload could not be parsed, or a message arrived out of order.
    public static let malformedFrame = ErrorCode(1)
    /// The frame's version byte is unknown, or HELLO found no common protocol version.
    public static let unsupportedVersion = ErrorCode(2)
    /// The payload length exceeds the receiver's maximum frame size.
    public static let frameTooLarge = ErrorCode(3)
    /// The payload's CRC-32C does not match the header.
    public static let badChecksum = ErrorCode(4)
    /// The message type is not one the receiver knows.
    public static let unknownMessageType = ErrorCode(5)
    /// The AUTH proof (or the worker's AUTH_OK proof) is wrong, or a side lacks the secret the other needs.
    public static let authenticationFailed = ErrorCode(6)
    /// A message other than HELLO/AUTH arrived before the handshake finished.
    public static let notAuthenticated = ErrorCode(7)
    /// SCORE_SHARD or MODEL_CHECK named a model the worker does not have: send LOAD_MODEL.
    public static let unknownModel = ErrorCode(8)
    /// LOAD_MODEL carried bytes that do not hash to the stated hash or do not parse as a model.
    public static let invalidModel = ErrorCode(9)
    /// More shards in flight than the credit window allows, or the worker's queue is full.
    public static let overloaded = ErrorCode(10)
    /// The shard cannot be scored as a whole (a required column is missing, the columns are unusable).
    public static let badShard = ErrorCode(11)
    /// The worker is draining and accepts no new work.
    public static let shuttingDown = ErrorCode(12)
    /// A fault inside the worker; the request may be retried elsewhere.
    public static let internalError = ErrorCode(13)
    /// No frame arrived within the idle timeout.
    public static let idleTimeout = ErrorCode(14)
    /// The answer to a SCORE_SHARD that a CANCEL stopped before it finished.
    public static let cancelled = ErrorCode(15)
    /// SPOOL_RESULTS asked a worker that was not started with that spool directory (version 5).
    public static let spoolRefused = ErrorCode(16)
    /// SCORE_SHARD_REF asked a worker that was not started with that input file, named another file
    /// or a range outside it, or the file changed since (version 6).
    public static let inputRefused = ErrorCode(17)

    /// Every code this version defines, in order.
    public static let allDefined: [ErrorCode] = [
        .malformedFrame, .unsupportedVersion, .frameTooLarge, .badChecksum, .unknownMessageType,
        .authenticationFailed, .notAuthenticated, .unknownModel, .invalidModel, .overloaded, .badShard,
        .shuttingDown, .internalError, .idleTimeout, .cancelled, .spoolRefused, .inputRefused,
    ]

    /// Whether the sender of this error closes the connection right after the ERROR frame.
    public var closesConnection: Bool {
        switch self {
        case .malformedFrame, .unsupportedVersion, .frameTooLarge, .badChecksum, .authenticationFailed,
             .notAuthenticated, .idleTimeout, .spoolRefused, .inputRefused:
            return true
        default:
            return false
        }
    }

    /// A short upper-case name, as in proto-docs/errors.md.
    public var name: String {
        switch self {
        case .malformedFrame: return "MALFORMED_FRAME"
        case .unsupportedVersion: return "UNSUPPORTED_VERSION"
        case .frameTooLarge: return "FRAME_TOO_LARGE"
        case .badChecksum: return "BAD_CHECKSUM"
        case .unknownMessageType: return "UNKNOWN_MESSAGE_TYPE"
        case .authenticationFailed: return "AUTHENTICATION_FAILED"
        case .notAuthenticated: return "NOT_AUTHENTICATED"
        case .unknownModel: return "UNKNOWN_MODEL"
        case .invalidModel: return "INVALID_MODEL"
        case .overloaded: return "OVERLOADED"
        case .badShard: return "BAD_SHARD"
        case .shuttingDown: return "SHUTTING_DOWN"
        case .internalError: return "INTERNAL_ERROR"
        case .idleTimeout: return "IDLE_TIMEOUT"
        case .cancelled: return "CANCELLED"
        case .spoolRefused: return "SPOOL_REFUSED"
        case .inputRefused: return "INPUT_REFUSED"
        default: return "ERROR_\(rawValue)"
        }
    }

    public var description: String { "\(rawValue) \(name)" }
}
