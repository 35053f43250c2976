/// Writes frame headers and whole frames.
public enum FrameEncoder {
    /// Appends a frame (header, then `payload`) to `buffer`.
    public static func encode(type: UInt8, requestId: UInt64, flags: FrameFlags = [], payload: UnsafeRawBufferPointer,
                              into buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + Frame.headerSize + payload.count)
        appendHeader(type: type, requestId: requestId, flags: flags, payloadLength: payload.count,
                     checksum: CRC32C.checksum(payload), into: &buffer)
        if let base = payload.baseAddress, payload.count > 0 {
            buffer.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: payload.count))
        }
    }

    /// Appends a 24-byte header to `buffer`.
    ///
    /// For scatter-gather writes: send the header, then the payload from where it already is.
    /// - Parameters:
    ///   - payloadLength: must fit in a u32.
    ///   - checksum: `CRC32C.checksum` of the payload.
    public static func appendHeader(type: UInt8, requestId: UInt64, flags: FrameFlags, payloadLength: Int,
                                    checksum: UInt32, into buffer: inout [UInt8]) {
        precondition(payloadLength >= 0 && payloadLength <= Int(UInt32.max), "payload of \(payloadLength) bytes does not fit a frame")
        var header = HeaderBytes()
        header.store(type: type, requestId: requestId, flags: flags, length: UInt32(payloadLength), checksum: checksum)
        withUnsafeBytes(of: &header.raw) { buffer.append(contentsOf: $0.bindMemory(to: UInt8.self)) }
    }

    /// Rewrites the length and checksum of the header at `headerStart` to describe the bytes after it.
    ///
    /// Lets a message be encoded straight after a placeholder header, with no intermediate payload array.
    static func finishHeader(at headerStart: Int, in buffer: inout [UInt8]) {
        let payloadStart = headerStart + Frame.headerSize
        let length = buffer.count - payloadStart
        precondition(length <= Int(UInt32.max), "payload of \(length) bytes does not fit a frame")
        buffer.withUnsafeMutableBytes { b in
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[payloadStart...]))
            b.storeBytes(of: UInt32(length).bigEndian, toByteOffset: headerStart + 16, as: UInt32.self)
            b.storeBytes(of: crc.bigEndian, toByteOffset: headerStart + 20, as: UInt32.self)
        }
    }
}

/// A header built on the stack.
struct HeaderBytes {
    var raw: (UInt64, UInt64, UInt64) = (0, 0, 0)

    mutating func store(type: UInt8, requestId: UInt64, flags: FrameFlags, length: UInt32, checksum: UInt32) {
        withUnsafeMutableBytes(of: &raw) { b in
            b.storeBytes(of: Frame.magic.bigEndian, toByteOffset: 0, as: UInt32.self)
            b[4] = Frame.version
            b[5] = type
            b.storeBytes(of: flags.rawValue.bigEndian, toByteOffset: 6, as: UInt16.self)
            b.storeBytes(of: requestId.bigEndian, toByteOffset: 8, as: UInt64.self)
            b.storeBytes(of: length.bigEndian, toByteOffset: 16, as: UInt32.self)
            b.storeBytes(of: checksum.bigEndian, toByteOffset: 20, as: UInt32.self)
        }
    }
}
