/// Appends the protocol's primitive types to a byte array, big-endian.
///
/// Strings are a u32 byte count and UTF-8; blobs a u32 byte count and bytes; lists a u32 item
/// count and the items; doubles and floats their IEEE-754 bit patterns as u64 / u32.
public struct WireWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Continues writing at the end of `bytes`.
    public init(appendingTo bytes: [UInt8]) {
        self.bytes = bytes
    }

    @inline(__always)
    public mutating func write(_ value: UInt8) {
        bytes.append(value)
    }

    @inline(__always)
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { appendRaw($0) }
    }

    @inline(__always)
    public mutating func write(_ value: Double) {
        write(value.bitPattern)
    }

    @inline(__always)
    public mutating func write(_ value: Float) {
        write(value.bitPattern)
    }

    public mutating func write(_ value: Bool) {
        write(UInt8(value ? 1 : 0))
    }

    /// Exactly 32 bytes, no length prefix.
    public mutating func write(_ value: Bytes32) {
        withUnsafeBytes(of: value.words.0.bigEndian) { appendRaw($0) }
        withUnsafeBytes(of: value.words.1.bigEndian) { appendRaw($0) }
        withUnsafeBytes(of: value.words.2.bigEndian) { appendRaw($0) }
        withUnsafeBytes(of: value.words.3.bigEndian) { appendRaw($0) }
    }

    /// u32 byte count + UTF-8.
    public mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { writeBlob(UnsafeRawBufferPointer($0)) }
    }

    /// u32 byte count + bytes.
    public mutating func writeBlob(_ value: UnsafeRawBufferPointer) {
        writeCount(value.count)
        appendRaw(value)
    }

    /// u32 byte count + bytes.
    public mutating func writeBlob<C: Collection>(_ value: C) where C.Element == UInt8 {
        if value.withContiguousStorageIfAvailable({ writeBlob(UnsafeRawBufferPointer($0)) }) == nil {
            writeCount(value.count)
            bytes.append(contentsOf: value)
        }
    }

    /// A list's u32 item count.
    public mutating func writeCount(_ count: Int) {
        precondition(count >= 0 && count <= Int(UInt32.max), "count \(count) does not fit a u32")
        write(UInt32(count))
    }

    /// u32 count + each item written by `body`.
    public mutating func writeList<S: Collection>(_ items: S, _ body: (inout WireWriter, S.Element) -> Void) {
        writeCount(items.count)
        for item in items { body(&self, item) }
    }

    /// Bytes with no length prefix.
    @inline(__always)
    public mutating func appendRaw(_ raw: UnsafeRawBufferPointer) {
        guard let base = raw.baseAddress, raw.count > 0 else { return }
        bytes.append(contentsOf: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: raw.count))
    }
}
