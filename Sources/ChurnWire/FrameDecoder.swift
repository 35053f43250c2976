/// Turns a byte stream into frames.
///
/// Feed it whatever the socket delivered, then call `next()` until it returns nil. The header is
/// validated (magic, version, reserved flags, length against `maxFrameSize`) before anything is
/// allocated for the payload; the payload's CRC-32C is checked before the frame is returned. After a
/// throw the stream is unusable (framing is lost): every later `next()` throws the same error.
///
/// Bytes are kept in one array, compacted in place instead of reallocated. Payloads of
/// `handOffThreshold` bytes or more are not copied: the frame takes over the buffer's storage, which
/// is sized to the frame once its header has been validated. A transport can also have the kernel
/// write straight into the decoder's free space (`readSpace()`), so received bytes are not copied
/// at all on their way to a frame.
public struct FrameDecoder: Sendable {
    /// The largest payload length accepted. Lower it until the peer has authenticated if you fear
    /// a stranger making the decoder reserve that much.
    public var maxFrameSize: Int

    /// Payloads at least this long are handed over without a copy.
    public static let handOffThreshold = 64 << 10

    /// `buffer[readIndex..<end]` are received bytes not yet returned as frames; `buffer[end...]` is
    /// free space, never read before it is written (the array is made with its whole length counted,
    /// so bytes can land there without a copy).
    private var buffer: [UInt8] = []
    /// Start of the unread bytes in `buffer`.
    private var readIndex = 0
    /// End of the received bytes in `buffer`.
    private var end = 0
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
    public var bufferedBytes: Int { end - readIndex }

    /// Bytes of memory held for buffering.
    public var bufferCapacity: Int { buffer.capacity }

    /// Bytes still missing to complete the frame whose header has arrived (0 when none is pending).
    public var bytesNeededForPendingFrame: Int {
        guard let h = pending else { return 0 }
        return max(0, Frame.headerSize + h.length - bufferedBytes)
    }

    /// Free space at the end of the buffer for the next read to land in, at least `minimum` bytes
    /// (and at least what the frame being assembled still needs, since its space was reserved when
    /// its header was validated). Pass the bytes written there to `feed`, which then only counts
    /// them. The space stays valid until the decoder is next used.
    public mutating func readSpace(minimum: Int = 64 << 10) -> UnsafeMutableRawBufferPointer {
        let wanted = pending == nil ? max(1, minimum) : max(1, bytesNeededForPendingFrame)
        makeFree(wanted, exact: pending != nil)
        let start = end
        return buffer.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[start...]) }
    }

    /// Appends received bytes (or only counts them when they were read into `readSpace()`).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        let free = buffer.count - end
        if free >= bytes.count, buffer.withUnsafeBytes({ $0.baseAddress.map { $0 + end } }) == base {
            end += bytes.count
            return
        }
        makeFree(bytes.count, exact: false)
        let at = end
        buffer.withUnsafeMutableBytes { ($0.baseAddress! + at).copyMemory(from: base, byteCount: bytes.count) }
        end += bytes.count
    }

    /// Appends received bytes.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { feed($0) }
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
                // Room for the whole frame once, now that its length is known to be acceptable: sized to
                // the frame, so a large payload takes the storage with nothing wasted beside it.
                makeFree(needed - bufferedBytes, exact: true)
            }
        }
        let header = pending!
        guard bufferedBytes >= Frame.headerSize + header.length else { return nil }

        let start = readIndex + Frame.headerSize
        let frameEnd = start + header.length
        let actual = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<frameEnd])) }
        guard actual == header.checksum else {
            let error = WireError.badChecksum(expected: header.checksum, actual: actual)
            failure = error
            throw error
        }
        pending = nil

        let payload: ArraySlice<UInt8>
        if header.length >= Self.handOffThreshold {
            // The frame takes the storage; only what follows it is copied into a fresh buffer.
            let rest = end - frameEnd
            var fresh: [UInt8] = []
            if rest > 0 {
                fresh = Self.uninitialized(max(rest, 4096))
                buffer.withUnsafeBytes { old in
                    fresh.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: old.baseAddress! + frameEnd, byteCount: rest) }
                }
            }
            payload = buffer[start..<frameEnd]
            buffer = fresh
            readIndex = 0
            end = rest
        } else {
            payload = Array(buffer[start..<frameEnd])[...]  // a copy: a slice would pin the buffer
            readIndex = frameEnd
            if readIndex == end {
                readIndex = 0
                end = 0
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

    /// Makes `count` bytes of free space after the received bytes: by moving the unread bytes to the
    /// front when that is enough, else in a new array (exactly as large as needed when `exact`, else
    /// with room to grow).
    private mutating func makeFree(_ count: Int, exact: Bool) {
        if buffer.count - end >= count { return }
        let live = end - readIndex
        if live + count <= buffer.count && !(exact && buffer.count > 2 * (live + count)) {
            if live > 0 {
                let from = readIndex
                buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + from, byteCount: live) }  // may overlap: a memmove
            }
            readIndex = 0
            end = live
            return
        }
        let size = exact ? live + count : max(live + count, 2 * buffer.count, 1024)
        var grown = Self.uninitialized(size)
        if live > 0 {
            let from = readIndex
            buffer.withUnsafeBytes { old in
                grown.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: old.baseAddress! + from, byteCount: live) }
            }
        }
        buffer = grown
        readIndex = 0
        end = live
    }

    /// An array of `count` bytes whose contents are whatever the allocator left: only the decoder's
    /// free space, which is written before it is read.
    private static func uninitialized(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
