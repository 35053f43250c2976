/// Reads the protocol's primitive types from a payload, checking every length against what is left.
///
/// Every failure is `WireError.malformedPayload` naming the message type and the field.
public struct WireReader: Sendable {
    /// The message type being read, for error messages.
    public let messageType: UInt8
    public let bytes: ArraySlice<UInt8>
    /// The next byte to read (an index into `bytes`).
    public private(set) var index: Int

    public init(_ bytes: ArraySlice<UInt8>, messageType: UInt8) {
        self.bytes = bytes
        self.messageType = messageType
        index = bytes.startIndex
    }

    public var remaining: Int { bytes.endIndex - index }

    /// A malformed-payload error for this message.
    public func malformed(_ detail: String) -> WireError {
        .malformedPayload(type: messageType, detail: detail)
    }

    private func need(_ count: Int, _ field: String) throws {
        guard count <= remaining else {
            throw malformed("truncated at \(field): needs \(count) bytes, \(remaining) left")
        }
    }

    public mutating func readU8(_ field: String) throws -> UInt8 {
        try need(1, field)
        defer { index += 1 }
        return bytes[index]
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type, _ field: String) throws -> T {
        let size = MemoryLayout<T>.size
        try need(size, field)
        let offset = index - bytes.startIndex
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        index += size
        return T(bigEndian: value)
    }

    public mutating func readDouble(_ field: String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, field))
    }

    public mutating func readFloat(_ field: String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, field))
    }

    /// A u8 that must be 0 or 1.
    public mutating func readBool(_ field: String) throws -> Bool {
        let v = try readU8(field)
        guard v <= 1 else { throw malformed("\(field) must be 0 or 1, is \(v)") }
        return v == 1
    }

    public mutating func readBytes32(_ field: String) throws -> Bytes32 {
        try need(32, field)
        let offset = index - bytes.startIndex
        let w = bytes.withUnsafeBytes { b in
            (UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
             UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
        }
        index += 32
        return Bytes32(words: w)
    }

    /// u32 length + bytes, returned as a slice of the payload (no copy).
    public mutating func readBlob(_ field: String) throws -> ArraySlice<UInt8> {
        let count = Int(try read(UInt32.self, "\(field) length"))
        try need(count, field)
        defer { index += count }
        return bytes[index..<index + count]
    }

    /// u32 length + UTF-8, validated.
    public mutating func readString(_ field: String) throws -> String {
        let blob = try readBlob(field)
        guard let s = blob.withUnsafeBytes({ Self.validUTF8($0) }) else {
            throw malformed("\(field) is not valid UTF-8")
        }
        return s
    }

    /// A list's u32 item count, checked against the bytes left so that no huge reservation follows.
    /// - Parameter minItemSize: the fewest bytes one item can take.
    public mutating func readCount(_ field: String, minItemSize: Int) throws -> Int {
        let count = Int(try read(UInt32.self, "\(field) count"))
        guard count <= remaining / max(1, minItemSize) else {
            throw malformed("\(field) count \(count) cannot fit in the \(remaining) bytes left")
        }
        return count
    }

    /// u32 count + items read by `body`.
    public mutating func readList<T>(_ field: String, minItemSize: Int, _ body: (inout WireReader) throws -> T) throws -> [T] {
        let count = try readCount(field, minItemSize: minItemSize)
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(try body(&self)) }
        return out
    }

    /// Throws when bytes are left over after the last field.
    public func finish() throws {
        guard remaining == 0 else { throw malformed("\(remaining) trailing bytes after the last field") }
    }

    /// The string, or nil when the bytes are not valid UTF-8 (overlong forms, surrogates and
    /// truncated sequences included).
    static func validUTF8(_ bytes: UnsafeRawBufferPointer) -> String? {
        var ascii = true
        for b in bytes where b >= 0x80 {
            ascii = false
            break
        }
        if !ascii {
            var parser = Unicode.UTF8.ForwardParser()
            var it = bytes.makeIterator()
            loop: while true {
                switch parser.parseScalar(from: &it) {
                case .valid: continue
                case .emptyInput: break loop
                case .error: return nil
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
