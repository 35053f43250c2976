import ChurnCore
import Foundation

/// The byte layout of one block of a run's predictions (schema 2): up to `blockRows` rows in input
/// order, stored column by column in four BLOBs of one `prediction_blocks` row. Little-endian;
/// varints are LEB128, signed ones zigzag.
///
/// - `scores`: probability as Float32 × n, then risk score u8 × n, risk level u8 × n, health u8 × n.
///   First in the row, so a scan sorting or filtering by them reads nothing else.
/// - `high_ids`: the ids of the High-risk rows, in order, each as varint length + bytes (what
///   newly-High comparisons read, without decoding the whole block).
/// - `ids`: front-coded against the previous row: varint shared-prefix length, varint suffix length,
///   suffix bytes.
/// - `details`: a flag byte (0: lines are `first_line`, `first_line + 1`, …; 1: a signed varint line
///   delta per row follows), driver codes (3 per row, 1 byte each when the run has fewer than 255
///   driver names, else 2; all-ones = no driver), one signed varint per present driver with its
///   impact in thousandths (the precision the results file prints), then the intervention code per
///   row (1 byte when the run has at most 256 interventions, else 2).
package enum PredictionBlock {
    package static func driverWidth(names: Int) -> Int { names < 255 ? 1 : 2 }
    package static func actionWidth(names: Int) -> Int { names <= 256 ? 1 : 2 }
    /// Impacts are kept in thousandths, as the results CSV prints them.
    package static let impactScale = 1000.0

    @inline(__always)
    package static func quantize(_ impact: Float) -> Int64 {
        let v = Double(impact)
        guard v.isFinite else { return 0 }
        let clamped = min(max(v, -1e12), 1e12)
        return clamped >= 0 ? Int64(clamped * impactScale + 0.5) : -Int64(-clamped * impactScale + 0.5)
    }
}

/// Collects rows column by column (see `PredictionBlock`): on a scoring thread for one chunk, then
/// in the store's writer, which appends whole chunks into the block it is filling. Besides the
/// columns it keeps each row's `CustomerIndex.hash` for the store's customer index.
public final class PredictionBlockBuilder {
    package let driverWidth: Int
    package let actionWidth: Int
    package private(set) var rowCount = 0
    package private(set) var firstLine: UInt64 = 0
    package private(set) var lastLine: UInt64 = 0
    package private(set) var levelCounts: (low: Int, medium: Int, high: Int) = (0, 0, 0)
    private var linesConsecutive = true
    /// Line of row 0 for rows given by offset (`append(lineOffset:…)`).
    package var baseLine: UInt64 = 0

    private let probabilities = ByteSink(capacity: 1 << 16)
    private let riskScores = ByteSink(capacity: 1 << 14)
    private let levels = ByteSink(capacity: 1 << 14)
    private let healths = ByteSink(capacity: 1 << 14)
    private let lineDeltas = ByteSink(capacity: 1 << 14)
    private let driverCodes = ByteSink(capacity: 1 << 16)
    private let impacts = ByteSink(capacity: 1 << 16)
    private let actions = ByteSink(capacity: 1 << 14)
    private let idSink = ByteSink(capacity: 1 << 17)
    private let highIdSink = ByteSink(capacity: 1 << 14)
    /// u64 per row.
    package let hashes = ByteSink(capacity: 1 << 17)
    private var previousId = [UInt8](repeating: 0, count: 256)
    private var previousIdCount = 0

    /// The serialised BLOBs of the last `seal()`.
    package let scores = ByteSink(capacity: 1 << 17)
    package let details = ByteSink(capacity: 1 << 17)
    package var ids: ByteSink { idSink }
    package var highIds: ByteSink { highIdSink }

    package init(driverNames: Int, interventions: Int) {
        driverWidth = PredictionBlock.driverWidth(names: driverNames)
        actionWidth = PredictionBlock.actionWidth(names: interventions)
    }

    package func reset() {
        rowCount = 0
        levelCounts = (0, 0, 0)
        linesConsecutive = true
        previousIdCount = 0
        for s in [probabilities, riskScores, levels, healths, lineDeltas, driverCodes, impacts, actions, idSink, highIdSink,
                  hashes, scores, details] {
            s.removeAll()
        }
    }

    /// Appends a row scored by the engine; its line is `baseLine + lineOffset`.
    @inline(__always)
    public func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore) {
        append(line: baseLine &+ UInt64(lineOffset), id: id, probability: score.probability, riskScore: score.riskScore,
               level: score.riskLevel.rawValue, health: score.health, drivers: score.drivers, impacts: score.impacts,
               intervention: score.intervention)
    }

    @inline(__always)
    package func append(line: UInt64, id: UnsafeRawBufferPointer, probability: Double, riskScore: UInt8, level: UInt8,
                        health: UInt8, drivers: (UInt16, UInt16, UInt16), impacts driverImpacts: (Float, Float, Float),
                        intervention: UInt16) {
        if rowCount == 0 {
            firstLine = line
            lastLine = line
        }
        let delta = Int64(bitPattern: line &- lastLine)
        if delta != (rowCount == 0 ? 0 : 1) { linesConsecutive = false }
        lineDeltas.putSignedVarint(delta)
        lastLine = line

        probabilities.putFloat32(Float(probability))
        riskScores.put(riskScore)
        levels.put(level)
        healths.put(health)
        switch level {
        case 0: levelCounts.low += 1
        case 1: levelCounts.medium += 1
        default: levelCounts.high += 1
        }
        putDriver(drivers.0, driverImpacts.0)
        putDriver(drivers.1, driverImpacts.1)
        putDriver(drivers.2, driverImpacts.2)
        if actionWidth == 1 { actions.put(UInt8(truncatingIfNeeded: intervention)) } else { actions.putUInt16(intervention) }

        // Front coding against the previous id.
        let n = id.count
        var shared = 0
        let limit = min(n, previousIdCount)
        if limit > 0 {
            let p = id.baseAddress!.assumingMemoryBound(to: UInt8.self)
            previousId.withUnsafeBufferPointer { prev in
                while shared < limit && prev[shared] == p[shared] { shared += 1 }
            }
        }
        idSink.putVarint(UInt64(shared))
        idSink.putVarint(UInt64(n - shared))
        if n > shared { idSink.put(UnsafeRawBufferPointer(rebasing: id[shared...])) }
        if n > previousId.count { previousId += [UInt8](repeating: 0, count: n) }
        if n > shared {
            previousId.withUnsafeMutableBytes { _ = memcpy($0.baseAddress! + shared, id.baseAddress! + shared, n - shared) }
        }
        previousIdCount = n
        let h = CustomerIndex.hash(id)
        hashes.putUInt64(h)
        if level == RiskLevel.high.rawValue {
            highIdSink.putVarint(UInt64(n))
            highIdSink.put(id)
        }
        rowCount += 1
    }

    @inline(__always)
    private func putDriver(_ d: UInt16, _ impact: Float) {
        if driverWidth == 1 {
            driverCodes.put(d == RowScore.noDriver ? 0xFF : UInt8(truncatingIfNeeded: d))
        } else {
            driverCodes.putUInt16(d)
        }
        if d != RowScore.noDriver { impacts.putSignedVarint(PredictionBlock.quantize(impact)) }
    }

    /// Appends every row of `other` (built with the same name counts) after this builder's rows.
    package func append(contentsOf other: PredictionBlockBuilder) {
        guard other.rowCount > 0 else { return }
        precondition(other.driverWidth == driverWidth && other.actionWidth == actionWidth, "blocks of different runs")
        if rowCount == 0 {
            firstLine = other.firstLine
            linesConsecutive = other.linesConsecutive
            lineDeltas.put(other.lineDeltas.bytes)
        } else {
            let delta = Int64(bitPattern: other.firstLine &- lastLine)
            linesConsecutive = linesConsecutive && other.linesConsecutive && delta == 1
            lineDeltas.putSignedVarint(delta)
            // Row 0's delta of a builder is always 0, one byte.
            lineDeltas.put(UnsafeRawBufferPointer(rebasing: other.lineDeltas.bytes[1...]))
        }
        lastLine = other.lastLine
        for (mine, theirs) in [(probabilities, other.probabilities), (riskScores, other.riskScores), (levels, other.levels),
                               (healths, other.healths), (driverCodes, other.driverCodes), (impacts, other.impacts),
                               (actions, other.actions), (idSink, other.idSink), (highIdSink, other.highIdSink),
                               (hashes, other.hashes)] {
            mine.put(theirs.bytes)
        }
        levelCounts.low += other.levelCounts.low
        levelCounts.medium += other.levelCounts.medium
        levelCounts.high += other.levelCounts.high
        rowCount += other.rowCount
        // The next row appended one by one is front-coded from scratch.
        previousIdCount = 0
    }

    /// Lays the columns out into `scores` and `details` (`ids` and `highIds` are already final).
    package func seal() {
        scores.removeAll()
        scores.put(probabilities.bytes)
        scores.put(riskScores.bytes)
        scores.put(levels.bytes)
        scores.put(healths.bytes)
        details.removeAll()
        details.put(linesConsecutive ? 0 : 1)
        if !linesConsecutive { details.put(lineDeltas.bytes) }
        details.put(driverCodes.bytes)
        details.put(impacts.bytes)
        details.put(actions.bytes)
    }
}

/// What scoring threads need to encode a run's predictions for the history: the run's name counts,
/// and a pool of builders so that chunk after chunk reuses the same memory. Thread-safe.
public final class PredictionRecording: @unchecked Sendable {  // `pool` guarded by `lock`; the counts are constants
    public let driverNames: Int
    public let interventions: Int
    private let lock = NSLock()
    private var pool: [PredictionBlockBuilder] = []

    package init(driverNames: Int, interventions: Int) {
        self.driverNames = driverNames
        self.interventions = interventions
    }

    /// An empty builder for the rows of a chunk whose first line is `firstLine`.
    public func makeChunk(firstLine: UInt64) -> PredictionBlockBuilder {
        lock.lock()
        let reused = pool.popLast()
        lock.unlock()
        let b = reused ?? PredictionBlockBuilder(driverNames: driverNames, interventions: interventions)
        b.baseLine = firstLine
        return b
    }

    /// Gives a builder back once its rows are copied out.
    package func recycle(_ b: PredictionBlockBuilder) {
        b.reset()
        lock.lock()
        if pool.count < 64 { pool.append(b) }
        lock.unlock()
    }
}

/// One block read back in full: every column as an array.
package struct DecodedBlock {
    package var rowCount: Int
    package var lines: [UInt64]
    package var probabilities: [Float]
    package var riskScores: [UInt8]
    package var levels: [UInt8]
    package var healths: [UInt8]
    /// Ids concatenated; row i's id is `idBytes[idStarts[i]..<idStarts[i + 1]]`.
    package var idBytes: [UInt8]
    package var idStarts: [Int]
    /// Three driver codes per row (`RowScore.noDriver` for none) and their impacts.
    package var drivers: [UInt16]
    package var impacts: [Double]
    package var actions: [UInt16]

    package func id(_ row: Int) -> String {
        String(decoding: idBytes[idStarts[row]..<idStarts[row + 1]], as: UTF8.self)
    }

    /// Reads the scores columns only.
    package static func scores(_ blob: UnsafeRawBufferPointer, rowCount n: Int) throws
        -> (probabilities: UnsafeRawBufferPointer, riskScores: UnsafeRawBufferPointer, levels: UnsafeRawBufferPointer,
            healths: UnsafeRawBufferPointer) {
        var s = ByteSource(blob)
        let p = try s.take(4 * n)
        let r = try s.take(n)
        let l = try s.take(n)
        let h = try s.take(n)
        return (p, r, l, h)
    }

    /// Decodes the ids column into concatenated bytes and starts.
    package static func ids(_ blob: UnsafeRawBufferPointer, rowCount n: Int) throws -> (bytes: [UInt8], starts: [Int]) {
        var starts = [Int](repeating: 0, count: n + 1)
        var capacity = max(64, blob.count * 4)
        var out = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { out.deallocate() }
        var used = 0
        var previousStart = 0
        var s = ByteSource(blob)
        for i in 0..<n {
            let shared = Int(try s.varint())
            let suffix = Int(try s.varint())
            guard shared <= used - previousStart else { throw ByteSource.Damaged() }
            let tail = try s.take(suffix)
            if used + shared + suffix > capacity {
                capacity = 2 * (used + shared + suffix)
                let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                bigger.update(from: out, count: used)
                out.deallocate()
                out = bigger
            }
            // The shared prefix lies wholly before `used`: the copy never overlaps itself.
            if shared > 0 { (out + used).update(from: out + previousStart, count: shared) }
            if suffix > 0 { memcpy(out + used + shared, tail.baseAddress!, suffix) }
            starts[i] = used
            previousStart = used
            used += shared + suffix
        }
        starts[n] = used
        return (Array(UnsafeBufferPointer(start: out, count: used)), starts)
    }

    /// Decodes the `high_ids` column.
    package static func highIds(_ blob: UnsafeRawBufferPointer, into body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var s = ByteSource(blob)
        while !s.isAtEnd {
            let n = Int(try s.varint())
            try body(try s.take(n))
        }
    }

    /// Decodes a whole block.
    package static func decode(rowCount n: Int, firstLine: UInt64, scores: UnsafeRawBufferPointer, ids: UnsafeRawBufferPointer,
                       details: UnsafeRawBufferPointer, driverNames: Int, interventions: Int) throws -> DecodedBlock {
        let columns = try Self.scores(scores, rowCount: n)
        var probabilities = [Float](repeating: 0, count: n)
        for i in 0..<n {
            probabilities[i] = Float(bitPattern: UInt32(littleEndian: columns.probabilities.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        }
        let (idBytes, idStarts) = try Self.ids(ids, rowCount: n)

        var s = ByteSource(details)
        var lines = [UInt64](repeating: 0, count: n)
        let flag = try s.byte()
        if flag == 0 {
            for i in 0..<n { lines[i] = firstLine &+ UInt64(i) }
        } else {
            var line = firstLine
            for i in 0..<n {
                line = line &+ UInt64(bitPattern: try s.signedVarint())
                lines[i] = line
            }
        }
        let driverWidth = PredictionBlock.driverWidth(names: driverNames)
        var drivers = [UInt16](repeating: RowScore.noDriver, count: 3 * n)
        var present = 0
        for k in 0..<(3 * n) {
            let code: UInt16
            if driverWidth == 1 {
                let b = try s.byte()
                code = b == 0xFF ? RowScore.noDriver : UInt16(b)
            } else {
                code = try s.uint16()
            }
            guard code == RowScore.noDriver || Int(code) < driverNames else { throw ByteSource.Damaged() }
            drivers[k] = code
            if code != RowScore.noDriver { present += 1 }
        }
        var impacts = [Double](repeating: 0, count: 3 * n)
        for k in 0..<(3 * n) where drivers[k] != RowScore.noDriver {
            impacts[k] = Double(try s.signedVarint()) / PredictionBlock.impactScale
        }
        let actionWidth = PredictionBlock.actionWidth(names: interventions)
        var actions = [UInt16](repeating: 0, count: n)
        for i in 0..<n {
            let a = actionWidth == 1 ? UInt16(try s.byte()) : try s.uint16()
            guard Int(a) < interventions else { throw ByteSource.Damaged() }
            actions[i] = a
        }
        return DecodedBlock(rowCount: n, lines: lines, probabilities: probabilities, riskScores: Array(columns.riskScores),
                            levels: Array(columns.levels), healths: Array(columns.healths), idBytes: idBytes, idStarts: idStarts,
                            drivers: drivers, impacts: impacts, actions: actions)
    }
}
