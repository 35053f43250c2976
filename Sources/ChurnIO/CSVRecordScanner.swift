import Foundation

/// Splits RFC 4180 CSV bytes into records and fields without allocating: field spans point into the
/// caller's buffer. Handles quoted fields with embedded commas, quotes ("") and newlines, CRLF line
/// ends, and counts physical lines so every record knows the line it starts on.
public struct CSVRecordScanner {
    /// One field of the current record: a byte range of the buffer, and whether it was quoted
    /// (then `hasEscapes` says whether it contains doubled quotes that `unescaped` must undo).
    public struct Field {
        public var start: Int
        public var end: Int
        public var quoted: Bool
        public var hasEscapes: Bool
    }

    /// Why a record is malformed.
    public enum RecordError: Equatable {
        case unterminatedQuote
        case textAfterClosingQuote(column: Int)
    }

    public let base: UnsafePointer<UInt8>
    public let count: Int
    /// Offset of the next record.
    public private(set) var position: Int = 0
    /// Physical line (1-based within the file) on which the next record starts.
    public private(set) var line: UInt64
    /// Fields of the last record read; raw storage reused between records (no reference counting
    /// in the hot loop). The scanner owns it: call `deallocate()` when done.
    public private(set) var fields: UnsafeMutablePointer<Field>
    private var capacity: Int
    public private(set) var fieldCount = 0

    public init(_ buffer: UnsafeRawBufferPointer, firstLine: UInt64) {
        base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1)!
        count = buffer.count
        line = firstLine
        capacity = 64
        fields = .allocate(capacity: capacity)
    }

    /// Frees the field storage.
    public func deallocate() { fields.deallocate() }

    public var atEnd: Bool { position >= count }

    /// Reads the next record. Returns the line it started on and an error if it is malformed (the
    /// scanner then skips to the end of the physical line). Empty lines come back with zero fields.
    @inline(__always)
    public mutating func nextRecord() -> (line: UInt64, error: RecordError?) {
        let startLine = line
        fieldCount = 0
        var i = position
        let n = count
        let p = base
        if i < n && (p[i] == 0x0A || (p[i] == 0x0D && i + 1 < n && p[i + 1] == 0x0A)) {
            position = p[i] == 0x0A ? i + 1 : i + 2
            line &+= 1
            return (startLine, nil)
        }
        if scanPlainRecord(from: i) { return (startLine, nil) }
        while true {
            var field = Field(start: i, end: i, quoted: false, hasEscapes: false)
            if i < n && p[i] == 0x22 {
                field.quoted = true
                i += 1
                field.start = i
                while true {
                    while i < n && p[i] != 0x22 {
                        if p[i] == 0x0A { line &+= 1 }
                        i += 1
                    }
                    if i >= n {
                        position = n
                        return (startLine, .unterminatedQuote)
                    }
                    if i + 1 < n && p[i + 1] == 0x22 {
                        field.hasEscapes = true
                        i += 2
                        continue
                    }
                    field.end = i
                    i += 1
                    break
                }
                if i < n && p[i] != 0x2C && p[i] != 0x0A && !(p[i] == 0x0D && (i + 1 == n || p[i + 1] == 0x0A)) {
                    skipLine(from: i)
                    return (startLine, .textAfterClosingQuote(column: fieldCount + 1))
                }
            } else {
                // Eight bytes at a time while they fit (SWAR): the lowest byte that is a comma or a
                // line feed ends the field. The zero-byte test can only misfire above a true match,
                // so the lowest flagged byte is exact.
                while i + 8 <= n {
                    let w = UInt64(littleEndian: UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self))
                    let commas = w ^ 0x2C2C_2C2C_2C2C_2C2C
                    let feeds = w ^ 0x0A0A_0A0A_0A0A_0A0A
                    let found = ((commas &- 0x0101_0101_0101_0101) & ~commas | (feeds &- 0x0101_0101_0101_0101) & ~feeds)
                        & 0x8080_8080_8080_8080
                    if found != 0 {
                        i += found.trailingZeroBitCount >> 3
                        break
                    }
                    i += 8
                }
                while i < n {
                    let b = p[i]
                    if b == 0x2C || b == 0x0A { break }
                    i += 1
                }
                field.end = i
                if field.end > field.start && p[field.end - 1] == 0x0D && (i == n || p[i] == 0x0A) { field.end -= 1 }
            }
            append(field)
            if i >= n {
                position = n
                return (startLine, nil)
            }
            if p[i] == 0x2C {
                i += 1
                continue
            }
            // CR before LF after a quoted field.
            if p[i] == 0x0D { i += 1 }
            if i < n && p[i] == 0x0A {
                line &+= 1
                i += 1
            }
            position = i
            return (startLine, nil)
        }
    }

    /// Reads a record of unquoted fields without CR eight bytes at a time (SWAR), every comma and
    /// line feed of a word taken from one mask, so that finding a field's end does not wait on the
    /// previous field's (the loop steps by whole words). Gives up, having changed nothing but
    /// `fieldCount`, at the first `"` or CR among the bytes it reads (which may belong to the next
    /// record): `nextRecord`'s field-by-field loop then reads the record.
    @inline(__always)
    private mutating func scanPlainRecord(from recordStart: Int) -> Bool {
        let n = count
        let p = base
        var start = recordStart
        var w = recordStart
        while w + 8 <= n {
            let word = UInt64(littleEndian: UnsafeRawPointer(p + w).loadUnaligned(as: UInt64.self))
            if Self.zeroBytes(word ^ 0x2222_2222_2222_2222) | Self.zeroBytes(word ^ 0x0D0D_0D0D_0D0D_0D0D) != 0 {
                fieldCount = 0
                return false
            }
            let feeds = Self.zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A)
            var ends = Self.zeroBytes(word ^ 0x2C2C_2C2C_2C2C_2C2C) | feeds
            while ends != 0 {
                let bit = ends.trailingZeroBitCount
                let end = w &+ bit &>> 3
                append(Field(start: start, end: end, quoted: false, hasEscapes: false))
                if feeds & (1 &<< UInt64(bit)) != 0 {
                    position = end &+ 1
                    line &+= 1
                    return true
                }
                start = end &+ 1
                ends &= ends &- 1
            }
            w &+= 8
        }
        while w < n {
            let b = p[w]
            if b == 0x22 || b == 0x0D {
                fieldCount = 0
                return false
            }
            if b == 0x2C || b == 0x0A {
                append(Field(start: start, end: w, quoted: false, hasEscapes: false))
                if b == 0x0A {
                    position = w &+ 1
                    line &+= 1
                    return true
                }
                start = w &+ 1
            }
            w &+= 1
        }
        append(Field(start: start, end: n, quoted: false, hasEscapes: false))
        position = n
        return true
    }

    /// 0x80 in each byte of `x` that is zero, 0 elsewhere: exact in every byte (the shorter
    /// `(x - 0x01…) & ~x` test can also flag a 0x01 byte above a zero one).
    @inline(__always)
    static func zeroBytes(_ x: UInt64) -> UInt64 {
        let low7 = (x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F
        return ~(low7 | x | 0x7F7F_7F7F_7F7F_7F7F)
    }

    @inline(__always)
    private mutating func append(_ field: Field) {
        if fieldCount == capacity {
            let grown = UnsafeMutablePointer<Field>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: fields, count: capacity)
            fields.deallocate()
            fields = grown
            capacity *= 2
        }
        (fields + fieldCount).initialize(to: field)
        fieldCount += 1
    }

    private mutating func skipLine(from start: Int) {
        var i = start
        while i < count && base[i] != 0x0A { i += 1 }
        if i < count { line &+= 1; i += 1 }
        position = i
    }

    /// The raw bytes of field `k` of the current record (quotes removed, escapes not undone).
    @inline(__always)
    public func bytes(_ k: Int) -> UnsafeRawBufferPointer {
        let f = fields[k]
        return UnsafeRawBufferPointer(start: base + f.start, count: f.end - f.start)
    }

    /// Field `k` as a String with doubled quotes undone.
    public func string(_ k: Int) -> String {
        let f = fields[k]
        let s = String(decoding: UnsafeBufferPointer(start: base + f.start, count: f.end - f.start), as: UTF8.self)
        return f.hasEscapes ? s.replacingOccurrences(of: "\"\"", with: "\"") : s
    }
}

/// Finding record boundaries in a buffer of CSV bytes, for cutting shards and chunks.
public enum CSVBoundary {
    /// The offset just past the last complete record in `buffer` (which starts at a record
    /// boundary), or nil if it holds no complete record. A newline inside quotes is not a boundary.
    public static func endOfLastRecord(_ buffer: UnsafeRawBufferPointer) -> Int? {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return nil }
        if memchr(base, 0x22, buffer.count) == nil {
            let p = base.assumingMemoryBound(to: UInt8.self)
            var i = buffer.count - 1
            while i >= 0 && p[i] != 0x0A { i -= 1 }
            return i >= 0 ? i + 1 : nil
        }
        var inQuotes = false
        var last: Int? = nil
        let p = base.assumingMemoryBound(to: UInt8.self)
        for i in 0..<buffer.count {
            let b = p[i]
            if b == 0x22 { inQuotes.toggle() } else if b == 0x0A && !inQuotes { last = i + 1 }
        }
        return last
    }

    /// The offset just past the first complete record (the header), or nil if it is not complete.
    static func endOfFirstRecord(_ buffer: UnsafeRawBufferPointer) -> Int? {
        guard let base = buffer.baseAddress else { return nil }
        let p = base.assumingMemoryBound(to: UInt8.self)
        var inQuotes = false
        for i in 0..<buffer.count {
            if p[i] == 0x22 { inQuotes.toggle() } else if p[i] == 0x0A && !inQuotes { return i + 1 }
        }
        return nil
    }

    /// Number of newline bytes in the buffer.
    ///
    /// Sixteen bytes a compare (the reader thread counts every chunk before it is scored): each
    /// matching byte of the mask is 0xFF, so subtracting the mask adds one to that byte's count,
    /// and up to 255 blocks are summed before a byte could overflow.
    public static func countNewlines(_ buffer: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = buffer.baseAddress else { return 0 }
        let count = buffer.count
        let feed = SIMD16<UInt8>(repeating: 0x0A)
        var n: UInt64 = 0
        var i = 0
        while i + 16 <= count {
            var counts = SIMD16<UInt8>()
            let end = min(i + 255 * 16, count - 15)
            while i < end {
                let bytes = (base + i).loadUnaligned(as: SIMD16<UInt8>.self)
                counts &-= unsafeBitCast(bytes .== feed, to: SIMD16<UInt8>.self)
                i &+= 16
            }
            n &+= UInt64(SIMD16<UInt16>(truncatingIfNeeded: counts).wrappedSum())
        }
        let p = base.assumingMemoryBound(to: UInt8.self)
        while i < count {
            n &+= p[i] == 0x0A ? 1 : 0
            i += 1
        }
        return n
    }
}
