import ChurnCore
import Foundation

/// Collects rows column by column (see `PredictionBlock`): on a scoring thread for one chunk, then
/// in the store's writer, which appends whole chunks into the block it is filling. Besides the
/// columns it keeps each row's `CustomerIndex.hash` for the store's customer index.
public final class PredictionBlockBuilder {
    package let driverWidth: Int
    package let actionWidth: Int
    /// Code width of each categorical feature recorded (empty: the run records no category data).
    package let categoryWidths: [Int]
    package internal(set) var rowCount = 0
    package internal(set) var firstLine: UInt64 = 0
    package internal(set) var lastLine: UInt64 = 0
    package internal(set) var levelCounts: (low: Int, medium: Int, high: Int) = (0, 0, 0)
    var linesConsecutive = true
    /// Line of row 0 for rows given by offset (`append(lineOffset:…)`).
    package var baseLine: UInt64 = 0

    private let probabilities = ByteSink(capacity: 1 << 16)
    private let riskScores = ByteSink(capacity: 1 << 14)
    private let levels = ByteSink(capacity: 1 << 14)
    private let healths = ByteSink(capacity: 1 << 14)
    private let lineDeltas = ByteSink(capacity: 1 << 14)
    private let driverCodes = ByteSink(capacity: 1 << 16)
    private let impacts = ByteSink(capacity: 1 << 16)
    private let actionSink = ByteSink(capacity: 1 << 14)
    /// One column of category codes per categorical feature.
    private let categorySinks: [ByteSink]
    /// Whether every row came with its category codes (a row without them leaves its columns
    /// short for good): only then does the block store them. Derived from the columns alone, so a
    /// builder carried elsewhere as its `columns` keeps it.
    package var hasCategories: Bool {
        !categorySinks.isEmpty && zip(categorySinks, categoryWidths).allSatisfy { $0.count == rowCount * $1 }
    }
    private let idSink = ByteSink(capacity: 1 << 17)
    private let highIdSink = ByteSink(capacity: 1 << 14)
    /// u64 per row.
    package let hashes = ByteSink(capacity: 1 << 17)
    private var previousId = [UInt8](repeating: 0, count: 256)
    private var previousIdCount = 0

    /// The serialised BLOBs of the last `seal()`.
    package let scores = ByteSink(capacity: 1 << 17)
    package let details = ByteSink(capacity: 1 << 17)
    package let categories = ByteSink(capacity: 1 << 14)
    package var ids: ByteSink { idSink }
    package var highIds: ByteSink { highIdSink }
    package var actions: ByteSink { actionSink }

    /// One per-row column of a chunk: its sink, and its bytes per row when that is fixed (nil for
    /// varint-coded columns), which a chunk read from elsewhere is checked against.
    package struct Column {
        package let name: String
        package let sink: ByteSink
        package let bytesPerRow: Int?
    }

    /// Every per-row column, in wire order: **the one place that lists them**. `append(contentsOf:)`,
    /// `reset()` and the chunk's wire form (`forEachColumn`, `load(_:columns:)`, proto-docs/messages.md
    /// "History chunk") all go through this list, so a column added here is copied and travels with
    /// it. The category columns (one per categorical feature the run records) come last.
    package private(set) var columns: [Column] = []

    /// - Parameter categoryLevels: the number of levels of each categorical feature whose codes
    ///   rows carry (`PredictionBlock.categoryWidth`); empty when the run records none.
    package init(driverNames: Int, interventions: Int, categoryLevels: [Int] = []) {
        driverWidth = PredictionBlock.driverWidth(names: driverNames)
        actionWidth = PredictionBlock.actionWidth(names: interventions)
        categoryWidths = categoryLevels.map(PredictionBlock.categoryWidth(levels:))
        categorySinks = categoryLevels.map { _ in ByteSink(capacity: 1 << 14) }
        columns = [
            Column(name: "probabilities", sink: probabilities, bytesPerRow: 4),
            Column(name: "risk scores", sink: riskScores, bytesPerRow: 1),
            Column(name: "levels", sink: levels, bytesPerRow: 1),
            Column(name: "healths", sink: healths, bytesPerRow: 1),
            Column(name: "line deltas", sink: lineDeltas, bytesPerRow: nil),
            Column(name: "driver codes", sink: driverCodes, bytesPerRow: 3 * driverWidth),
            Column(name: "impacts", sink: impacts, bytesPerRow: nil),
            Column(name: "actions", sink: actionSink, bytesPerRow: actionWidth),
            Column(name: "ids", sink: idSink, bytesPerRow: nil),
            Column(name: "high ids", sink: highIdSink, bytesPerRow: nil),
            Column(name: "hashes", sink: hashes, bytesPerRow: 8),
        ] + zip(categorySinks, categoryWidths).enumerated().map { f, column in
            Column(name: "category \(f + 1)", sink: column.0, bytesPerRow: column.1)
        }
    }

    package func reset() {
        rowCount = 0
        levelCounts = (0, 0, 0)
        linesConsecutive = true
        previousIdCount = 0
        for c in columns { c.sink.removeAll() }
        scores.removeAll()
        details.removeAll()
        categories.removeAll()
    }

    /// Appends a row scored by the engine; its line is `baseLine + lineOffset`. A row without
    /// category codes leaves the block without category data.
    @inline(__always)
    public func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore) {
        append(line: baseLine &+ UInt64(lineOffset), id: id, probability: score.probability, riskScore: score.riskScore,
               level: score.riskLevel.rawValue, health: score.health, drivers: score.drivers, impacts: score.impacts,
               intervention: score.intervention, categoryCodes: nil)
    }

    /// Appends a row scored by the engine with its category codes (`categoryWidths.count` of them,
    /// see `PredictionBlock.categoryCode`).
    @inline(__always)
    public func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore, categoryCodes: UnsafePointer<UInt16>) {
        append(line: baseLine &+ UInt64(lineOffset), id: id, probability: score.probability, riskScore: score.riskScore,
               level: score.riskLevel.rawValue, health: score.health, drivers: score.drivers, impacts: score.impacts,
               intervention: score.intervention, categoryCodes: categoryCodes)
    }

    @inline(__always)
    package func append(line: UInt64, id: UnsafeRawBufferPointer, probability: Double, riskScore: UInt8, level: UInt8,
                        health: UInt8, drivers: (UInt16, UInt16, UInt16), impacts driverImpacts: (Float, Float, Float),
                        intervention: UInt16, categoryCodes: UnsafePointer<UInt16>?) {
        if let codes = categoryCodes {
            for f in 0..<categorySinks.count {
                if categoryWidths[f] == 1 { categorySinks[f].put(UInt8(truncatingIfNeeded: codes[f])) } else { categorySinks[f].putUInt16(codes[f]) }
            }
        }
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
        if actionWidth == 1 { actionSink.put(UInt8(truncatingIfNeeded: intervention)) } else { actionSink.putUInt16(intervention) }

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
        precondition(other.driverWidth == driverWidth && other.actionWidth == actionWidth && other.categoryWidths == categoryWidths,
                     "blocks of different runs")
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
        for (mine, theirs) in zip(columns, other.columns) where mine.sink !== lineDeltas {
            mine.sink.put(theirs.sink.bytes)
        }
        levelCounts.low += other.levelCounts.low
        levelCounts.medium += other.levelCounts.medium
        levelCounts.high += other.levelCounts.high
        rowCount += other.rowCount
        // The next row appended one by one is front-coded from scratch.
        previousIdCount = 0
    }

    /// Lays the columns out into `scores`, `details` and `categories` (`ids`, `highIds` and
    /// `actions` are already final). `actionsInDetails` lays a schema-2 block out (intervention codes
    /// at the end of `details`), for the schema-1 conversion that runs before schema 3 exists.
    package func seal(actionsInDetails: Bool = false) {
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
        if actionsInDetails { details.put(actionSink.bytes) }
        categories.removeAll()
        if hasCategories { for sink in categorySinks { categories.put(sink.bytes) } }
    }
}
