/// Turns a byte stream into frames.
///
/// Feed it whatever the socket delivered, then call `next()` until it returns nil. The header is
/// validated (magic, version, reserved flags, length against `maxFrameSize`) before anything is
/// allocated for the payload; the payload's CRC-32C is checked before the frame is returned. After a
/// throw the stream is unusable (framing is lost): every later `next()` throws the same error.
///
/// Bytes are kept in one growing array, compacted in place instead of reallocated. Payloads of
/// `handOffThreshold` bytes or more are not copied: the frame takes over the buffer's storage.
public struct FrameDecoder: Sendable {
    /// The largest payload length accepted. Lower it until the peer has authenticated if you fear
    /// a stranger making the decoder reserve that much.
    public var maxFrameSize: Int

    /// Payloads at least this long are handed over without a copy.
    public static let handOffThreshold = 64 << 10

    private var buffer: [UInt8] = []
    /// Start of the unread bytes in `buffer`.
    private var readIndex = 0
    /// The validated header of the frame being assembled.
    private var pending: Header?
    private var failure: WireError?

    private struct Header: Sendable {
        var type: UInt8
        var flags: FrameFlags
        var requestId: UInt64
        var length: Int
        var checksum: UInt32
    }

    public init(maxFrameSize: Int = Frame.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Bytes received but not yet returned as frames (the transport caps this per connection).
    public var bufferedBytes: Int { buffer.count - readIndex }

    /// Bytes of memory held for buffering.
    public var bufferCapacity: Int { buffer.capacity }

    /// Bytes still missing to complete the frame whose header has arrived (0 when none is pending).
    public var bytesNeededForPendingFrame: Int {
        guard let h = pending else { return 0 }
        return max(0, Frame.headerSize + h.length - bufferedBytes)
    }

    /// Appends received bytes.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        makeRoom(for: bytes.count)
        buffer.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: bytes.count))
    }

    /// Appends received bytes.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) == nil {
            makeRoom(for: bytes.count)
            buffer.append(contentsOf: bytes)
        }
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws -> Frame? {
        if let failure { throw failure }
        if pending == nil {
            guard bufferedBytes >= Frame.headerSize else { return nil }
            do {
                pending = try parseHeader()
            } catch let error as WireError {
                failure = error
                throw error
            }
            let needed = Frame.headerSize + pending!.length
            if bufferedBytes < needed {
                // Reserve the whole frame once, now that its length is known to be acceptable.
                compact()
                buffer.reserveCapacity(needed)
            }
        }
        let header = pending!
        guard bufferedBytes >= Frame.headerSize + header.length else { return nil }

        let start = readIndex + Frame.headerSize
        let end = start + header.length
        let actual = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
        guard actual == header.checksum else {
            let error = WireError.badChecksum(expected: header.checksum, actual: actual)
            failure = error
            throw error
        }
        pending = nil

        let payload: ArraySlice<UInt8>
        if header.length >= Self.handOffThreshold {
            // The frame takes the storage; only what follows it is copied into a fresh buffer.
            let rest = buffer[end...]
            var fresh: [UInt8] = []
            fresh.reserveCapacity(max(rest.count, 4096))
            fresh.append(contentsOf: rest)
            payload = buffer[start..<end]
            buffer = fresh
            readIndex = 0
        } else {
            payload = Array(buffer[start..<end])[...]  // a copy: a slice would pin the buffer
            readIndex = end
            if readIndex == buffer.count {
                buffer.removeAll(keepingCapacity: true)
                readIndex = 0
            }
        }
        return Frame(type: header.type, flags: header.flags, requestId: header.requestId, payload: payload)
    }

    private func parseHeader() throws -> Header {
        try buffer.withUnsafeBytes { b in
            let h = UnsafeRawBufferPointer(rebasing: b[readIndex..<readIndex + Frame.headerSize])
            let magic = UInt32(bigEndian: h.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            guard magic == Frame.magic else { throw WireError.badMagic(magic) }
            guard h[4] == Frame.version else { throw WireError.unsupportedVersion(h[4]) }
            let flags = UInt16(bigEndian: h.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
            guard flags & ~FrameFlags.defined.rawValue == 0 else { throw WireError.reservedFlags(flags) }
            let length = UInt32(bigEndian: h.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            guard UInt64(length) <= UInt64(max(0, maxFrameSize)) else {
                throw WireError.frameTooLarge(length: length, limit: maxFrameSize)
            }
            return Header(type: h[5], flags: FrameFlags(rawValue: flags),
                          requestId: UInt64(bigEndian: h.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                          length: Int(length),
                          checksum: UInt32(bigEndian: h.loadUnaligned(fromByteOffset: 20, as: UInt32.self)))
        }
    }

    /// Makes space for `count` more bytes, moving unread bytes to the front rather than growing when
    /// that is enough.
    private mutating func makeRoom(for count: Int) {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if buffer.count + count > buffer.capacity || readIndex >= buffer.count / 2 {
            compact()
        }
    }

    private mutating func compact() {
        guard readIndex > 0 else { return }
        buffer.removeSubrange(0..<readIndex)
        readIndex = 0
    }
}
