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
enum PredictionBlock {
    static func driverWidth(names: Int) -> Int { names < 255 ? 1 : 2 }
    static func actionWidth(names: Int) -> Int { names <= 256 ? 1 : 2 }
    /// Impacts are kept in thousandths, as the results CSV prints them.
    static let impactScale = 1000.0

    @inline(__always)
    static func quantize(_ impact: Float) -> Int64 {
        let v = Double(impact)
        guard v.isFinite else { return 0 }
        let clamped = min(max(v, -1e12), 1e12)
        return clamped >= 0 ? Int64(clamped * impactScale + 0.5) : -Int64(-clamped * impactScale + 0.5)
    }
}

/// Collects one block's rows column by column and serialises them (see `PredictionBlock`).
final class PredictionBlockBuilder {
    let driverWidth: Int
    let actionWidth: Int
    private(set) var rowCount = 0
    private(set) var firstLine: UInt64 = 0
    private(set) var levelCounts: (low: Int, medium: Int, high: Int) = (0, 0, 0)
    private var previousLine: UInt64 = 0
    private var linesConsecutive = true

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
    private var previousId = [UInt8](repeating: 0, count: 256)
    private var previousIdCount = 0

    /// The serialised BLOBs of the last `seal()`.
    let scores = ByteSink(capacity: 1 << 17)
    let details = ByteSink(capacity: 1 << 17)
    var ids: ByteSink { idSink }
    var highIds: ByteSink { highIdSink }

    init(driverNames: Int, interventions: Int) {
        driverWidth = PredictionBlock.driverWidth(names: driverNames)
        actionWidth = PredictionBlock.actionWidth(names: interventions)
    }

    func reset() {
        rowCount = 0
        levelCounts = (0, 0, 0)
        linesConsecutive = true
        previousIdCount = 0
        for s in [probabilities, riskScores, levels, healths, lineDeltas, driverCodes, impacts, actions, idSink, highIdSink,
                  scores, details] {
            s.removeAll()
        }
    }

    @inline(__always)
    func append(line: UInt64, id: UnsafeRawBufferPointer, probability: Double, riskScore: UInt8, level: UInt8,
                health: UInt8, drivers: (UInt16, UInt16, UInt16), impacts driverImpacts: (Float, Float, Float),
                intervention: UInt16) {
        if rowCount == 0 {
            firstLine = line
            previousLine = line
        }
        let delta = Int64(bitPattern: line &- previousLine)
        if delta != (rowCount == 0 ? 0 : 1) { linesConsecutive = false }
        lineDeltas.putSignedVarint(delta)
        previousLine = line

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
        if n > previousId.count { previousId = [UInt8](repeating: 0, count: max(n, 2 * previousId.count)) }
        if n > shared {
            previousId.withUnsafeMutableBytes { _ = memcpy($0.baseAddress! + shared, id.baseAddress! + shared, n - shared) }
        }
        previousIdCount = n
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

    /// Lays the columns out into `scores` and `details` (`ids` and `highIds` are already final).
    func seal() {
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

/// One block read back in full: every column as an array.
struct DecodedBlock {
    var rowCount: Int
    var lines: [UInt64]
    var probabilities: [Float]
    var riskScores: [UInt8]
    var levels: [UInt8]
    var healths: [UInt8]
    /// Ids concatenated; row i's id is `idBytes[idStarts[i]..<idStarts[i + 1]]`.
    var idBytes: [UInt8]
    var idStarts: [Int]
    /// Three driver codes per row (`RowScore.noDriver` for none) and their impacts.
    var drivers: [UInt16]
    var impacts: [Double]
    var actions: [UInt16]

    func id(_ row: Int) -> String {
        String(decoding: idBytes[idStarts[row]..<idStarts[row + 1]], as: UTF8.self)
    }

    /// Reads the scores columns only.
    static func scores(_ blob: UnsafeRawBufferPointer, rowCount n: Int) throws
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
    static func ids(_ blob: UnsafeRawBufferPointer, rowCount n: Int) throws -> (bytes: [UInt8], starts: [Int]) {
        var s = ByteSource(blob)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(blob.count * 3)
        var starts = [Int](repeating: 0, count: n + 1)
        var previousStart = 0
        for i in 0..<n {
            let shared = Int(try s.varint())
            let suffix = Int(try s.varint())
            let previousLength = bytes.count - previousStart
            guard shared <= previousLength else { throw ByteSource.Damaged() }
            let start = bytes.count
            if shared > 0 {
                bytes.reserveCapacity(start + shared)
                for k in 0..<shared { bytes.append(bytes[previousStart + k]) }
            }
            bytes.append(contentsOf: try s.take(suffix))
            previousStart = start
            starts[i] = start
        }
        starts[n] = bytes.count
        return (bytes, starts)
    }

    /// Decodes the `high_ids` column.
    static func highIds(_ blob: UnsafeRawBufferPointer, into body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var s = ByteSource(blob)
        while !s.isAtEnd {
            let n = Int(try s.varint())
            try body(try s.take(n))
        }
    }

    /// Decodes a whole block.
    static func decode(rowCount n: Int, firstLine: UInt64, scores: UnsafeRawBufferPointer, ids: UnsafeRawBufferPointer,
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
