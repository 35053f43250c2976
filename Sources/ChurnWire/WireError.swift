/// Why bytes from the wire could not become a frame or a message.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first four bytes of a frame are not "CHRN".
    case badMagic(UInt32)
    /// The frame header's version byte is not one this decoder reads.
    case unsupportedVersion(UInt8)
    /// The header announces a payload longer than the configured maximum; nothing was allocated for it.
    case frameTooLarge(length: UInt32, limit: Int)
    /// The payload's CRC-32C is not the header's.
    case badChecksum(expected: UInt32, actual: UInt32)
    /// Flag bits that version 1 reserves are set.
    case reservedFlags(UInt16)
    /// The payload of a known message type is truncated, has trailing bytes or an invalid field.
    case malformedPayload(type: UInt8, detail: String)
    /// The frame is well formed but its message type is unknown; the payload is kept for the caller.
    case unknownMessageType(type: UInt8, payload: ArraySlice<UInt8>)

    /// The code to send in an ERROR frame about this.
    public var code: ErrorCode {
        switch self {
        case .badMagic, .reservedFlags, .malformedPayload: return .malformedFrame
        case .unsupportedVersion: return .unsupportedVersion
        case .frameTooLarge: return .frameTooLarge
        case .badChecksum: return .badChecksum
        case .unknownMessageType: return .unknownMessageType
        }
    }

    /// Whether the connection must be closed: true for everything that breaks the framing.
    public var closesConnection: Bool { code.closesConnection }

    public var description: String {
        switch self {
        case let .badMagic(m):
            return "bad magic 0x\(String(m, radix: 16)) (expected 0x4348524e \"CHRN\")"
        case let .unsupportedVersion(v):
            return "unsupported frame version \(v) (this decoder reads \(Frame.version))"
        case let .frameTooLarge(length, limit):
            return "frame payload of \(length) bytes exceeds the limit of \(limit) bytes"
        case let .badChecksum(expected, actual):
            return "payload CRC-32C is 0x\(String(actual, radix: 16)), header says 0x\(String(expected, radix: 16))"
        case let .reservedFlags(f):
            return "reserved flag bits set: 0x\(String(f, radix: 16))"
        case let .malformedPayload(type, detail):
            return "malformed \(MessageType.name(of: type)) payload: \(detail)"
        case let .unknownMessageType(type, payload):
            return "unknown message type 0x\(String(type, radix: 16)) (\(payload.count) payload bytes)"
        }
    }
}
