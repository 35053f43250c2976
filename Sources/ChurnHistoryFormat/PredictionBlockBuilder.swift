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
    /// Rows at Low, Medium and High risk (rows written in place are counted when the columns sync).
    package internal(set) var levelCounts: (low: Int, medium: Int, high: Int) {
        get {
            syncColumns()
            return countedLevels
        }
        // Set only with the rows it counts (a chunk loaded whole): no sync, the caller marks them synced.
        set { countedLevels = newValue }
    }
    private var countedLevels: (low: Int, medium: Int, high: Int) = (0, 0, 0)
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
        syncColumns()
        return !categorySinks.isEmpty && zip(categorySinks, categoryWidths).allSatisfy { $0.count == rowCount * $1 }
    }
    private let idSink = ByteSink(capacity: 1 << 17)
    private let highIdSink = ByteSink(capacity: 1 << 14)
    private let hashSink = ByteSink(capacity: 1 << 17)
    /// The previous row's id, for front coding (`previousIdCount` bytes of `previousIdCapacity`).
    private var previousId = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    private var previousIdCapacity = 256
    private var previousIdCount = 0

    // Rows appended one by one (the scoring threads' path) write their fixed-width columns in place,
    // at row × width, through these pointers, and leave those sinks' counts (and, while lines are
    // consecutive, the line deltas) behind; `syncColumns()` brings them up to date before anything
    // reads the columns. That keeps a row's cost to a few stores.
    /// Rows every fixed-width column has room for at the pointers below (0: call `makeRoom()`).
    private var rowCapacity = 0
    /// Rows the fixed-width sinks' counts (and the line deltas) include.
    private var syncedRows = 0
    /// A row arrived without category codes since the last `reset()`: the category columns stay short.
    private var categoriesMissing = false
    private var probabilityBase: UnsafeMutablePointer<UInt8>
    private var riskScoreBase: UnsafeMutablePointer<UInt8>
    private var levelBase: UnsafeMutablePointer<UInt8>
    private var healthBase: UnsafeMutablePointer<UInt8>
    private var driverBase: UnsafeMutablePointer<UInt8>
    private var actionBase: UnsafeMutablePointer<UInt8>
    private var hashBase: UnsafeMutablePointer<UInt8>
    /// Per categorical feature: its column's base pointer, and its code width (1 or 2).
    private let categoryBases: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>
    private let categoryWidthTable: UnsafeMutablePointer<Int>

    /// u64 per row: each row's `CustomerIndex.hash`.
    package var hashes: ByteSink {
        syncColumns()
        return hashSink
    }

    /// The serialised BLOBs of the last `seal()`.
    package let scores = ByteSink(capacity: 1 << 17)
    package let details = ByteSink(capacity: 1 << 17)
    package let categories = ByteSink(capacity: 1 << 14)
    package var ids: ByteSink { idSink }
    package var highIds: ByteSink { highIdSink }
    package var actions: ByteSink {
        syncColumns()
        return actionSink
    }

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
    package var columns: [Column] {
        syncColumns()
        return columnList
    }
    private var columnList: [Column] = []
    /// The fixed-width columns with their bytes per row (the category columns last).
    private var fixedColumns: [(sink: ByteSink, width: Int)] = []

    /// - Parameter categoryLevels: the number of levels of each categorical feature whose codes
    ///   rows carry (`PredictionBlock.categoryWidth`); empty when the run records none.
    package init(driverNames: Int, interventions: Int, categoryLevels: [Int] = []) {
        driverWidth = PredictionBlock.driverWidth(names: driverNames)
        actionWidth = PredictionBlock.actionWidth(names: interventions)
        categoryWidths = categoryLevels.map(PredictionBlock.categoryWidth(levels:))
        categorySinks = categoryLevels.map { _ in ByteSink(capacity: 1 << 14) }
        probabilityBase = probabilities.base
        riskScoreBase = riskScores.base
        levelBase = levels.base
        healthBase = healths.base
        driverBase = driverCodes.base
        actionBase = actionSink.base
        hashBase = hashSink.base
        categoryBases = .allocate(capacity: max(1, categoryLevels.count))
        categoryWidthTable = .allocate(capacity: max(1, categoryLevels.count))
        for (f, sink) in categorySinks.enumerated() {
            (categoryBases + f).initialize(to: sink.base)
            (categoryWidthTable + f).initialize(to: categoryWidths[f])
        }
        columnList = [
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
            Column(name: "hashes", sink: hashSink, bytesPerRow: 8),
        ] + zip(categorySinks, categoryWidths).enumerated().map { f, column in
            Column(name: "category \(f + 1)", sink: column.0, bytesPerRow: column.1)
        }
        fixedColumns = columnList.compactMap { c in c.bytesPerRow.map { (c.sink, $0) } }
    }

    deinit {
        previousId.deallocate()
        categoryBases.deallocate()
        categoryWidthTable.deallocate()
    }

    /// Brings the counts of the columns rows were written into in place (see `rowCapacity`) up to
    /// `rowCount`, and writes the line deltas left implicit while lines were consecutive.
    package func syncColumns() {
        guard syncedRows != rowCount || (linesConsecutive && lineDeltas.count < rowCount) else { return }
        if syncedRows != rowCount {
            // The levels of the rows written in place (0 Low, 1 Medium, anything else High).
            let (low, medium) = Self.countZerosAndOnes(UnsafeRawPointer(levels.base + syncedRows), count: rowCount - syncedRows)
            countedLevels.low += low
            countedLevels.medium += medium
            countedLevels.high += rowCount - syncedRows - low - medium
            for (f, column) in fixedColumns.enumerated() {
                let isCategory = f >= fixedColumns.count - categorySinks.count
                // A category column already short (or missing this batch's codes) stays short.
                guard column.sink.count == syncedRows * column.width, !(isCategory && categoriesMissing) else { continue }
                column.sink.setCount(rowCount * column.width)
            }
            syncedRows = rowCount
        }
        if linesConsecutive { writeImplicitLineDeltas() }
    }

    /// How many of `count` bytes are 0 and how many are 1: eight bytes at a time, a byte's high bit
    /// set exactly when it is zero (no carry crosses bytes), then counted.
    static func countZerosAndOnes(_ bytes: UnsafeRawPointer, count: Int) -> (zeros: Int, ones: Int) {
        @inline(__always) func zeroBytes(_ w: UInt64) -> Int {
            let m: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            return (~(((w & m) &+ m) | w | m)).nonzeroBitCount
        }
        var zeros = 0, ones = 0, k = 0
        while k + 8 <= count {
            let w = bytes.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            zeros &+= zeroBytes(w)
            ones &+= zeroBytes(w ^ 0x0101_0101_0101_0101)
            k += 8
        }
        while k < count {
            let b = bytes.load(fromByteOffset: k, as: UInt8.self)
            zeros &+= b == 0 ? 1 : 0
            ones &+= b == 1 ? 1 : 0
            k += 1
        }
        return (zeros, ones)
    }

    /// While lines are consecutive each row's delta is one byte (0 for row 0, zigzag 1 = 2 after):
    /// writes those not written yet.
    private func writeImplicitLineDeltas() {
        let present = lineDeltas.count
        guard present < rowCount else { return }
        let p = lineDeltas.cursor(reserving: rowCount - present)
        var k = 0
        if present == 0 {
            p.pointee = 0
            k = 1
        }
        if rowCount - present > k { (p + k).initialize(repeating: 2, count: rowCount - present - k) }
        lineDeltas.commit(p + (rowCount - present))
    }

    /// Counts synced, after the sinks were written through `put` (their storage may have moved).
    package func markSynced() {
        syncedRows = rowCount
        rowCapacity = 0
    }

    /// Makes room in every fixed-width column for at least one more row (twice the rows, at least
    /// 16,384), and points the in-place writes at it.
    @inline(never)
    private func makeRoom() {
        syncColumns()
        let rows = max(1 << 14, 2 * rowCount)
        for column in fixedColumns { column.sink.reserve(rows * column.width - column.sink.count) }
        probabilityBase = probabilities.base
        riskScoreBase = riskScores.base
        levelBase = levels.base
        healthBase = healths.base
        driverBase = driverCodes.base
        actionBase = actionSink.base
        hashBase = hashSink.base
        for (f, sink) in categorySinks.enumerated() { categoryBases[f] = sink.base }
        rowCapacity = rows
    }

    @inline(never)
    private func growPreviousId(_ n: Int) {
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 2 * previousIdCapacity))
        bigger.update(from: previousId, count: previousIdCount)
        previousId.deallocate()
        previousId = bigger
        previousIdCapacity = max(n, 2 * previousIdCapacity)
    }

    package func reset() {
        rowCount = 0
        countedLevels = (0, 0, 0)
        linesConsecutive = true
        previousIdCount = 0
        syncedRows = 0
        categoriesMissing = false
        for c in columnList { c.sink.removeAll() }
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
        if rowCount >= rowCapacity { makeRoom() }
        let r = rowCount
        if let codes = categoryCodes {
            for f in 0..<categorySinks.count {
                if categoryWidthTable[f] == 1 {
                    categoryBases[f][r] = UInt8(truncatingIfNeeded: codes[f])
                } else {
                    UnsafeMutableRawPointer(categoryBases[f]).storeBytes(of: codes[f].littleEndian, toByteOffset: 2 * r, as: UInt16.self)
                }
            }
        } else if !categorySinks.isEmpty && !categoriesMissing {
            syncColumns()
            categoriesMissing = true
        }
        if r == 0 {
            firstLine = line
            lastLine = line
        }
        let delta = Int64(bitPattern: line &- lastLine)
        if linesConsecutive && delta != (r == 0 ? 0 : 1) {
            writeImplicitLineDeltas()
            linesConsecutive = false
        }
        if !linesConsecutive {
            let p = lineDeltas.cursor(reserving: 10)
            lineDeltas.commit(ByteSink.writeVarint(ByteSink.zigzag(delta), at: p))
        }
        lastLine = line

        UnsafeMutableRawPointer(probabilityBase).storeBytes(of: Float(probability).bitPattern.littleEndian, toByteOffset: 4 * r,
                                                           as: UInt32.self)
        riskScoreBase[r] = riskScore
        levelBase[r] = level
        healthBase[r] = health
        if driverWidth == 1 {
            let d = driverBase + 3 * r
            d[0] = drivers.0 == RowScore.noDriver ? 0xFF : UInt8(truncatingIfNeeded: drivers.0)
            d[1] = drivers.1 == RowScore.noDriver ? 0xFF : UInt8(truncatingIfNeeded: drivers.1)
            d[2] = drivers.2 == RowScore.noDriver ? 0xFF : UInt8(truncatingIfNeeded: drivers.2)
        } else {
            let d = UnsafeMutableRawPointer(driverBase + 6 * r)
            d.storeBytes(of: drivers.0.littleEndian, toByteOffset: 0, as: UInt16.self)
            d.storeBytes(of: drivers.1.littleEndian, toByteOffset: 2, as: UInt16.self)
            d.storeBytes(of: drivers.2.littleEndian, toByteOffset: 4, as: UInt16.self)
        }
        var q = impacts.cursor(reserving: 30)
        if drivers.0 != RowScore.noDriver { q = ByteSink.writeVarint(ByteSink.zigzag(PredictionBlock.quantize(driverImpacts.0)), at: q) }
        if drivers.1 != RowScore.noDriver { q = ByteSink.writeVarint(ByteSink.zigzag(PredictionBlock.quantize(driverImpacts.1)), at: q) }
        if drivers.2 != RowScore.noDriver { q = ByteSink.writeVarint(ByteSink.zigzag(PredictionBlock.quantize(driverImpacts.2)), at: q) }
        impacts.commit(q)
        if actionWidth == 1 {
            actionBase[r] = UInt8(truncatingIfNeeded: intervention)
        } else {
            UnsafeMutableRawPointer(actionBase).storeBytes(of: intervention.littleEndian, toByteOffset: 2 * r, as: UInt16.self)
        }

        // Front coding against the previous id: the shared prefix 8 bytes at a time, then by byte.
        let n = id.count
        var shared = 0
        let limit = min(n, previousIdCount)
        if limit > 0 {
            let p = id.baseAddress!
            let prev = UnsafeRawPointer(previousId)
            while shared + 8 <= limit
                    && p.loadUnaligned(fromByteOffset: shared, as: UInt64.self) == prev.loadUnaligned(fromByteOffset: shared, as: UInt64.self) {
                shared += 8
            }
            while shared < limit && p.load(fromByteOffset: shared, as: UInt8.self) == prev.load(fromByteOffset: shared, as: UInt8.self) {
                shared += 1
            }
        }
        let suffix = n - shared
        var w = idSink.cursor(reserving: 20 + suffix)
        w = ByteSink.writeVarint(UInt64(shared), at: w)
        w = ByteSink.writeVarint(UInt64(suffix), at: w)
        if suffix > 0 {
            let from = (id.baseAddress! + shared).assumingMemoryBound(to: UInt8.self)
            if n > previousIdCapacity { growPreviousId(n) }
            let to = previousId + shared
            if suffix <= 16 {
                // Usually a byte or two (ids in order share most of their bytes): no memcpy call.
                for k in 0..<suffix {
                    w[k] = from[k]
                    to[k] = from[k]
                }
            } else {
                w.update(from: from, count: suffix)
                to.update(from: from, count: suffix)
            }
        }
        idSink.commit(w + suffix)
        previousIdCount = n
        UnsafeMutableRawPointer(hashBase).storeBytes(of: CustomerIndex.hash(id).littleEndian, toByteOffset: 8 * r, as: UInt64.self)
        if level == RiskLevel.high.rawValue {
            var h = highIdSink.cursor(reserving: 10 + n)
            h = ByteSink.writeVarint(UInt64(n), at: h)
            if n > 0 { h.update(from: id.baseAddress!.assumingMemoryBound(to: UInt8.self), count: n) }
            highIdSink.commit(h + n)
        }
        rowCount = r + 1
    }

    /// Appends every row of `other` (built with the same name counts) after this builder's rows.
    package func append(contentsOf other: PredictionBlockBuilder) {
        guard other.rowCount > 0 else { return }
        precondition(other.driverWidth == driverWidth && other.actionWidth == actionWidth && other.categoryWidths == categoryWidths,
                     "blocks of different runs")
        syncColumns()
        other.syncColumns()
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
        for (mine, theirs) in zip(columnList, other.columnList) where mine.sink !== lineDeltas {
            mine.sink.put(theirs.sink.bytes)
        }
        let theirs = other.levelCounts
        countedLevels.low += theirs.low
        countedLevels.medium += theirs.medium
        countedLevels.high += theirs.high
        rowCount += other.rowCount
        markSynced()
        // The next row appended one by one is front-coded from scratch.
        previousIdCount = 0
    }

    /// Lays the columns out into `scores`, `details` and `categories` (`ids`, `highIds` and
    /// `actions` are already final). `actionsInDetails` lays a schema-2 block out (intervention codes
    /// at the end of `details`), for the schema-1 conversion that runs before schema 3 exists.
    package func seal(actionsInDetails: Bool = false) {
        syncColumns()
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
