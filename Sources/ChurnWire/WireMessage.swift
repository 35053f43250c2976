/// A message payload type: how it is written and read.
public protocol WireMessage: Equatable, Sendable {
    /// The frame type byte that carries this message.
    static var messageType: MessageType { get }
    /// Appends the payload's fields.
    func encode(into writer: inout WireWriter)
    /// Reads the payload's fields (the caller checks that nothing is left over).
    init(from reader: inout WireReader) throws
}

extension WireMessage {
    /// Decodes a whole payload; bytes left over after the last field make it malformed.
    public init(decoding payload: ArraySlice<UInt8>) throws {
        var reader = WireReader(payload, messageType: Self.messageType.rawValue)
        try self.init(from: &reader)
        try reader.finish()
    }

    /// Decodes a whole payload.
    public init(decoding payload: [UInt8]) throws {
        try self.init(decoding: payload[...])
    }

    /// The payload alone.
    public func encodedPayload() -> [UInt8] {
        var w = WireWriter()
        encode(into: &w)
        return w.bytes
    }

    /// A complete frame (header and payload).
    public func encode(requestId: UInt64, flags: FrameFlags = []) -> [UInt8] {
        var out: [UInt8] = []
        encode(requestId: requestId, flags: flags, into: &out)
        return out
    }

    /// Appends a complete frame to `buffer`, writing the payload in place (no intermediate copy).
    public func encode(requestId: UInt64, flags: FrameFlags = [], into buffer: inout [UInt8]) {
        let headerStart = buffer.count
        FrameEncoder.appendHeader(type: Self.messageType.rawValue, requestId: requestId, flags: flags,
                                  payloadLength: 0, checksum: 0, into: &buffer)
        // Swaps, not copies: the storage must stay uniquely referenced or every append would copy it.
        var w = WireWriter()
        swap(&w.bytes, &buffer)
        encode(into: &w)
        swap(&w.bytes, &buffer)
        FrameEncoder.finishHeader(at: headerStart, in: &buffer)
    }
}
