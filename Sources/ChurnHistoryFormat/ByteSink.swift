import Foundation

/// A growable byte buffer for encoding blocks: appends without per-call bounds checks beyond one
/// capacity test, little-endian numbers, LEB128 varints.
package final class ByteSink {
    package private(set) var base: UnsafeMutablePointer<UInt8>
    package private(set) var count = 0
    private var capacity: Int

    package init(capacity: Int = 4096) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    package var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    package func removeAll() { count = 0 }

    @inline(__always)
    package func reserve(_ extra: Int) {
        if count + extra > capacity { grow(count + extra) }
    }

    private func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = c
    }

    /// Sets the byte count after bytes were written in place (below `capacity`, e.g. through `base`
    /// after `reserve`).
    @inline(__always)
    package func setCount(_ n: Int) {
        precondition(n >= 0 && n <= capacity, "ByteSink count past its capacity")
        count = n
    }

    /// Where the next byte goes, with room for `extra` bytes; end with `commit(_:)`.
    @inline(__always)
    package func cursor(reserving extra: Int) -> UnsafeMutablePointer<UInt8> {
        reserve(extra)
        return base + count
    }

    /// Ends a `cursor(reserving:)` write at `end`.
    @inline(__always)
    package func commit(_ end: UnsafeMutablePointer<UInt8>) { count = end - base }

    /// Writes `value` as LEB128 at `p`, returning the byte after it (the caller reserved 10 bytes).
    @inline(__always)
    package static func writeVarint(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var v = value
        var q = p
        while v >= 0x80 {
            q.pointee = UInt8(truncatingIfNeeded: v) | 0x80
            q += 1
            v >>= 7
        }
        q.pointee = UInt8(truncatingIfNeeded: v)
        return q + 1
    }

    /// Zigzag for `writeVarint`.
    @inline(__always)
    package static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

    @inline(__always)
    package func put(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    package func put(_ bytes: UnsafeRawBufferPointer) {
        let n = bytes.count
        guard n > 0 else { return }
        reserve(n)
        memcpy(base + count, bytes.baseAddress!, n)
        count += n
    }

    @inline(__always)
    package func putUInt16(_ v: UInt16) {
        reserve(2)
        base[count] = UInt8(truncatingIfNeeded: v)
        base[count + 1] = UInt8(truncatingIfNeeded: v >> 8)
        count += 2
    }

    @inline(__always)
    package func putUInt32(_ v: UInt32) {
        reserve(4)
        withUnsafeBytes(of: v.littleEndian) { _ = memcpy(base + count, $0.baseAddress!, 4) }
        count += 4
    }

    @inline(__always)
    package func putFloat32(_ v: Float) { putUInt32(v.bitPattern) }

    @inline(__always)
    package func putUInt64(_ v: UInt64) {
        reserve(8)
        withUnsafeBytes(of: v.littleEndian) { _ = memcpy(base + count, $0.baseAddress!, 8) }
        count += 8
    }

    /// LEB128: 7 bits a byte, low bits first.
    @inline(__always)
    package func putVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count += 1
            v >>= 7
        }
        base[count] = UInt8(truncatingIfNeeded: v)
        count += 1
    }

    /// Zigzag then LEB128, for values that may be negative.
    @inline(__always)
    package func putSignedVarint(_ v: Int64) {
        putVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }
}

/// Reads what a `ByteSink` wrote. Every read is bounds-checked: a damaged blob gives an error, not a crash.
package struct ByteSource {
    package let bytes: UnsafeRawBufferPointer
    package var offset = 0

    package init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    package struct Damaged: Error {
        package init() {}
    }

    package var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    package mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Damaged() }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always)
    package mutating func uint16() throws -> UInt16 {
        guard offset + 2 <= bytes.count else { throw Damaged() }
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    @inline(__always)
    package mutating func uint32() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw Damaged() }
        defer { offset += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    package mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count, shift < 64 else { throw Damaged() }
            let b = bytes[offset]
            offset += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always)
    package mutating func signedVarint() throws -> Int64 {
        let u = try varint()
        return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
    }

    /// The next `n` bytes.
    package mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, offset + n <= bytes.count else { throw Damaged() }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
    }

    package mutating func skip(_ n: Int) throws { _ = try take(n) }
}
