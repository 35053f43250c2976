/// Flag bits of a frame header.
public struct FrameFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The sender sends no further frames on this connection (set on GOODBYE and on a closing ERROR).
    public static let endOfStream = FrameFlags(rawValue: 1)

    /// The bits version 1 defines; any other bit set makes the frame malformed.
    public static let defined: FrameFlags = [.endOfStream]
}

/// One frame: the 24-byte header's fields and the payload.
///
/// Header layout (big-endian): magic "CHRN" (4), version u8 (= 1), message type u8, flags u16,
/// request id u64, payload length u32, CRC-32C of the payload u32.
public struct Frame: Equatable, Sendable {
    /// Bytes in a frame header.
    public static let headerSize = 24
    /// "CHRN" as a big-endian u32.
    public static let magic: UInt32 = 0x4348_524E
    /// The frame format version written in every header.
    public static let version: UInt8 = 1
    /// The largest payload a decoder accepts unless configured otherwise: 64 MiB.
    public static let defaultMaxFrameSize = 64 << 20

    /// The raw message type byte (see `MessageType`; unknown values are kept).
    public var type: UInt8
    public var flags: FrameFlags
    /// Correlates a response with its request; 0 when there is none.
    public var requestId: UInt64
    /// The payload. Its indices are those of the storage it was cut from: use `startIndex`, not 0.
    public var payload: ArraySlice<UInt8>

    public init(type: UInt8, flags: FrameFlags = [], requestId: UInt64, payload: ArraySlice<UInt8>) {
        self.type = type
        self.flags = flags
        self.requestId = requestId
        self.payload = payload
    }

    public init(type: MessageType, flags: FrameFlags = [], requestId: UInt64, payload: [UInt8]) {
        self.init(type: type.rawValue, flags: flags, requestId: requestId, payload: payload[...])
    }

    /// The message type, nil when it is not one this version knows.
    public var messageType: MessageType? { MessageType(rawValue: type) }

    /// The payload's bytes, without copying.
    public func withUnsafePayload<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try payload.withUnsafeBytes(body)
    }

    /// Header and payload, ready to write to a socket.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    /// Appends header and payload to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        payload.withUnsafeBytes { p in
            FrameEncoder.encode(type: type, requestId: requestId, flags: flags, payload: p, into: &buffer)
        }
    }

    /// Header and payload of a frame, in a new array.
    public static func encode(type: MessageType, requestId: UInt64, flags: FrameFlags = [], payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        payload.withUnsafeBytes { FrameEncoder.encode(type: type.rawValue, requestId: requestId, flags: flags, payload: $0, into: &out) }
        return out
    }
}
