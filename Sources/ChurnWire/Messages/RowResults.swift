import ChurnCore

/// One row of a SHARD_RESULT.
public struct RowResult {
    /// The row's line minus the shard's first line.
    public var lineOffset: UInt32
    /// The customer id's bytes, pointing into the rows blob: valid only while the blob is.
    public var id: UnsafeRawBufferPointer
    public var score: RowScore
}

/// Appends rows to a SHARD_RESULT rows blob without allocating per row.
///
/// Layout of one row (big-endian; 37 bytes + id):
/// line offset u32, id length u16, id bytes, probability f64, risk score u8, risk level u8,
/// health u8, 3 × (driver index u16 [0xFFFF = none], impact f32), intervention index u16.
public struct RowResultWriter: Sendable {
    /// Fixed bytes of a row besides the id.
    public static let fixedSize = 37
    /// Longest id kept; longer ids are cut to this many bytes. The scorer never hands one over: it
    /// rejects such rows (`ShardScorer.maxIdBytes`), in-process and on workers alike.
    public static let maxIdLength = Int(UInt16.max)

    public private(set) var bytes: [UInt8]
    /// Rows appended so far.
    public private(set) var count = 0

    /// - Parameter capacity: bytes to reserve (about 37 + id length per row).
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one row.
    /// - Parameters:
    ///   - lineOffset: the row's line minus the shard's first line.
    ///   - id: the customer id's bytes (cut at 65,535 bytes).
    public mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore) {
        let idLength = min(id.count, Self.maxIdLength)
        var head: UInt64 = 0
        withUnsafeMutableBytes(of: &head) { h in
            h.storeBytes(of: lineOffset.bigEndian, toByteOffset: 0, as: UInt32.self)
            h.storeBytes(of: UInt16(idLength).bigEndian, toByteOffset: 4, as: UInt16.self)
        }
        withUnsafeBytes(of: &head) { appendRaw(UnsafeRawBufferPointer(rebasing: $0[0..<6])) }
        if idLength > 0 { appendRaw(UnsafeRawBufferPointer(rebasing: id[0..<idLength])) }
        var tail: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tail) { t in
            t.storeBytes(of: score.probability.bitPattern.bigEndian, toByteOffset: 0, as: UInt64.self)
            t[8] = score.riskScore
            t[9] = score.riskLevel.rawValue
            t[10] = score.health
            t.storeBytes(of: score.drivers.0.bigEndian, toByteOffset: 11, as: UInt16.self)
            t.storeBytes(of: score.impacts.0.bitPattern.bigEndian, toByteOffset: 13, as: UInt32.self)
            t.storeBytes(of: score.drivers.1.bigEndian, toByteOffset: 17, as: UInt16.self)
            t.storeBytes(of: score.impacts.1.bitPattern.bigEndian, toByteOffset: 19, as: UInt32.self)
            t.storeBytes(of: score.drivers.2.bigEndian, toByteOffset: 23, as: UInt16.self)
            t.storeBytes(of: score.impacts.2.bitPattern.bigEndian, toByteOffset: 25, as: UInt32.self)
            t.storeBytes(of: score.intervention.bigEndian, toByteOffset: 29, as: UInt16.self)
        }
        withUnsafeBytes(of: &tail) { appendRaw(UnsafeRawBufferPointer(rebasing: $0[0..<31])) }
        count += 1
    }

    /// Appends one row whose id is given as bytes.
    public mutating func append(lineOffset: UInt32, id: [UInt8], score: RowScore) {
        id.withUnsafeBytes { append(lineOffset: lineOffset, id: $0, score: score) }
    }

    /// Forgets the rows, keeping the memory for the next shard.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        count = 0
    }

    @inline(__always)
    private mutating func appendRaw(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: raw.count))
    }
}

/// Reads a SHARD_RESULT rows blob without allocating, checking every bound.
public struct RowResultIterator {
    /// Why a rows blob is not valid.
    public enum Malformed: Error, Equatable {
        case reason(String)
    }

    private let blob: UnsafeRawBufferPointer
    private var offset = 0
    /// Rows read so far.
    public private(set) var rowsRead = 0

    /// - Parameter blob: must stay valid while the iterator is used.
    public init(_ blob: UnsafeRawBufferPointer) {
        self.blob = blob
    }

    /// The next row, nil at the end of the blob.
    /// - Throws: `Malformed` when a row is cut short or holds an impossible value.
    public mutating func next() throws -> RowResult? {
        guard offset < blob.count else { return nil }
        let left = blob.count - offset
        guard left >= RowResultWriter.fixedSize else {
            throw Malformed.reason("row \(rowsRead) is cut short: \(left) bytes left")
        }
        let base = offset
        let lineOffset = UInt32(bigEndian: blob.loadUnaligned(fromByteOffset: base, as: UInt32.self))
        let idLength = Int(UInt16(bigEndian: blob.loadUnaligned(fromByteOffset: base + 4, as: UInt16.self)))
        guard left >= RowResultWriter.fixedSize + idLength else {
            throw Malformed.reason("row \(rowsRead) is cut short: id of \(idLength) bytes, \(left) bytes left")
        }
        let id = UnsafeRawBufferPointer(rebasing: blob[base + 6..<base + 6 + idLength])
        let t = base + 6 + idLength
        let riskScore = blob[t + 8]
        guard let level = RiskLevel(rawValue: blob[t + 9]) else {
            throw Malformed.reason("row \(rowsRead): risk level \(blob[t + 9]) is not 0, 1 or 2")
        }
        let health = blob[t + 10]
        guard riskScore <= 100, health <= 100 else {
            throw Malformed.reason("row \(rowsRead): risk score \(riskScore) or health \(health) is above 100")
        }
        @inline(__always) func u16(_ at: Int) -> UInt16 { UInt16(bigEndian: blob.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
        @inline(__always) func f32(_ at: Int) -> Float {
            Float(bitPattern: UInt32(bigEndian: blob.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }
        let score = RowScore(
            probability: Double(bitPattern: UInt64(bigEndian: blob.loadUnaligned(fromByteOffset: t, as: UInt64.self))),
            riskScore: riskScore, riskLevel: level, health: health,
            drivers: (u16(t + 11), u16(t + 17), u16(t + 23)),
            impacts: (f32(t + 13), f32(t + 19), f32(t + 25)),
            intervention: u16(t + 29))
        offset = t + 31
        rowsRead += 1
        return RowResult(lineOffset: lineOffset, id: id, score: score)
    }

    /// Checks that `blob` holds exactly `rowCount` valid rows.
    public static func validate(_ blob: UnsafeRawBufferPointer, rowCount: Int) throws {
        var it = RowResultIterator(blob)
        while try it.next() != nil {
            guard it.rowsRead <= rowCount else { throw Malformed.reason("more rows than the row count \(rowCount)") }
        }
        guard it.rowsRead == rowCount else {
            throw Malformed.reason("\(it.rowsRead) rows where the row count says \(rowCount)")
        }
    }
}
