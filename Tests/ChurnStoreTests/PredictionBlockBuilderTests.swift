import ChurnCore
@testable import ChurnHistoryFormat
import XCTest

/// The builder writes the scoring threads' rows in place and brings its columns up to date only
/// when they are read: whatever mix of rows, chunks, growth and missing category codes it sees, its
/// columns must hold exactly the bytes `PredictionBlock` documents, which a plain row-by-row
/// encoder here works out independently.
final class PredictionBlockBuilderTests: XCTestCase {
    /// One row as given to the builder.
    private struct Row {
        var line: UInt64
        var id: [UInt8]
        var score: RowScore
        var codes: [UInt16]?
    }

    // MARK: the reference encoder (the documented layout, one row at a time)

    private static func varint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func signedVarint(_ v: Int64, into out: inout [UInt8]) {
        varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)), into: &out)
    }

    private static func littleEndian<T: FixedWidthInteger>(_ v: T, into out: inout [UInt8]) {
        for k in 0..<(T.bitWidth / 8) { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// `CustomerIndex.hash` restated plainly: every word, and the tail, gathered byte by byte.
    private static func referenceHash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            var w: UInt64 = 0
            for k in 0..<8 { w |= UInt64(bytes[i + k]) << (8 * UInt64(k)) }
            h = (h ^ w) &* 0xff51_afd7_ed55_8ccd
            h = (h << 31) | (h >> 33)
            i += 8
        }
        if i < bytes.count {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < bytes.count {
                w |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ w) &* 0xc4ce_b9fe_1a85_ec53
            h = (h << 31) | (h >> 33)
        }
        h ^= h >> 30
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27
        h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }

    /// The columns, in `PredictionBlockBuilder.columns` order, of `rows` encoded one by one;
    /// `restartFrontCodingAt` lists rows whose ids are front-coded from scratch (first rows of an
    /// appended chunk).
    private static func reference(_ rows: [Row], driverWidth: Int, actionWidth: Int, categoryWidths: [Int],
                                  restartFrontCodingAt: Set<Int> = []) -> [[UInt8]] {
        var prob: [UInt8] = [], risk: [UInt8] = [], level: [UInt8] = [], health: [UInt8] = [], deltas: [UInt8] = []
        var drivers: [UInt8] = [], impacts: [UInt8] = [], actions: [UInt8] = [], ids: [UInt8] = [], high: [UInt8] = []
        var hashes: [UInt8] = []
        var categories = categoryWidths.map { _ in [UInt8]() }
        let allCodes = rows.allSatisfy { $0.codes != nil }
        var previous: [UInt8] = []
        for (k, row) in rows.enumerated() {
            let s = row.score
            littleEndian(Float(s.probability).bitPattern, into: &prob)
            risk.append(s.riskScore)
            level.append(s.riskLevel.rawValue)
            health.append(s.health)
            signedVarint(k == 0 ? 0 : Int64(bitPattern: row.line &- rows[k - 1].line), into: &deltas)
            for (d, impact) in [(s.drivers.0, s.impacts.0), (s.drivers.1, s.impacts.1), (s.drivers.2, s.impacts.2)] {
                if driverWidth == 1 { drivers.append(d == RowScore.noDriver ? 0xFF : UInt8(d)) } else { littleEndian(d, into: &drivers) }
                if d != RowScore.noDriver { signedVarint(PredictionBlock.quantize(impact), into: &impacts) }
            }
            if actionWidth == 1 { actions.append(UInt8(s.intervention)) } else { littleEndian(s.intervention, into: &actions) }
            if restartFrontCodingAt.contains(k) { previous = [] }
            var shared = 0
            while shared < min(previous.count, row.id.count) && previous[shared] == row.id[shared] { shared += 1 }
            varint(UInt64(shared), into: &ids)
            varint(UInt64(row.id.count - shared), into: &ids)
            ids += row.id[shared...]
            previous = row.id
            littleEndian(referenceHash(row.id), into: &hashes)
            if s.riskLevel == .high {
                varint(UInt64(row.id.count), into: &high)
                high += row.id
            }
            if allCodes, let codes = row.codes {
                for f in categoryWidths.indices {
                    if categoryWidths[f] == 1 { categories[f].append(UInt8(codes[f])) } else { littleEndian(codes[f], into: &categories[f]) }
                }
            }
        }
        return [prob, risk, level, health, deltas, drivers, impacts, actions, ids, high, hashes] + categories
    }

    private static func columns(_ b: PredictionBlockBuilder) -> [[UInt8]] {
        var out: [[UInt8]] = []
        b.forEachColumn { out.append(Array($0)) }
        return out
    }

    /// Deterministic rows: ids sharing prefixes of every length (some longer than 256 bytes),
    /// every risk level, absent drivers, impacts of both signs and large, lines that are consecutive
    /// for `consecutive` rows and then jump around.
    private static func rows(_ count: Int, firstLine: UInt64, consecutive: Int, driverNames: Int, actions: Int,
                             levels: [Int], seed: UInt64) -> [Row] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 17
        }
        var line = firstLine
        var out: [Row] = []
        for k in 0..<count {
            if k > 0 { line = k < consecutive ? line + 1 : line + next() % 5 }
            let idLength = k % 97 == 0 ? 300 + Int(next() % 40) : Int(next() % 23)
            let id = (0..<idLength).map { i in i < idLength - 3 ? UInt8(0x41 + i % 26) : UInt8(0x30 + next() % 10) }
            let p = Double(next() % 10_000) / 10_000
            func driver() -> UInt16 { next() % 4 == 0 ? RowScore.noDriver : UInt16(next() % UInt64(driverNames)) }
            func impact() -> Float { next() % 7 == 0 ? Float(next() % 3_000_000) - 1_500_000 : Float(next() % 5000) / 997 }
            let score = RowScore(probability: p, riskScore: UInt8(p * 100), riskLevel: RiskLevel(rawValue: UInt8(next() % 3))!,
                                 health: UInt8(next() % 101), drivers: (driver(), driver(), driver()), impacts: (impact(), impact(), impact()),
                                 intervention: UInt16(next() % UInt64(actions)))
            let codes = levels.map { UInt16(next() % UInt64($0 + 2)) }
            out.append(Row(line: line, id: id, score: score, codes: codes))
        }
        return out
    }

    private static func append(_ rows: ArraySlice<Row>, to b: PredictionBlockBuilder) {
        for row in rows {
            row.id.withUnsafeBytes { id in
                let s = row.score
                if let codes = row.codes {
                    codes.withUnsafeBufferPointer {
                        b.append(line: row.line, id: id, probability: s.probability, riskScore: s.riskScore, level: s.riskLevel.rawValue,
                                 health: s.health, drivers: s.drivers, impacts: s.impacts, intervention: s.intervention,
                                 categoryCodes: $0.baseAddress!)
                    }
                } else {
                    b.append(line: row.line, id: id, probability: s.probability, riskScore: s.riskScore, level: s.riskLevel.rawValue,
                             health: s.health, drivers: s.drivers, impacts: s.impacts, intervention: s.intervention, categoryCodes: nil)
                }
            }
        }
    }

    private static func levels(_ rows: [Row]) -> [Int] {
        RiskLevel.allCases.map { level in rows.filter { $0.score.riskLevel == level }.count }
    }

    private static func levels(_ b: PredictionBlockBuilder) -> [Int] {
        [b.levelCounts.low, b.levelCounts.medium, b.levelCounts.high]
    }

    // MARK: tests

    func testTheHashOfEveryLengthIsTheByteByByteHash() {
        var bytes: [UInt8] = []
        for n in 0...40 {
            bytes.append(UInt8(truncatingIfNeeded: n &* 37 &+ 200))
            // The id sits at every alignment within a larger buffer, as ids do within a chunk.
            for offset in 0..<8 {
                let buffer = [UInt8](repeating: 0xEE, count: offset) + bytes[0..<n] + [0xDD, 0xDD]
                let h = buffer.withUnsafeBytes { CustomerIndex.hash(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
                XCTAssertEqual(h, Self.referenceHash(Array(bytes[0..<n])), "length \(n) at offset \(offset)")
            }
        }
    }

    func testRowsWrittenInPlaceGiveTheDocumentedColumnsAcrossGrowthAndLineJumps() {
        for (drivers, actions, levels) in [(6, 3, [3, 300]), (400, 300, [2]), (6, 3, [])] {
            let b = PredictionBlockBuilder(driverNames: drivers, interventions: actions, categoryLevels: levels)
            // 40,000 rows: past the first room for 16,384 rows, twice.
            let rows = Self.rows(40_000, firstLine: 7, consecutive: 25_000, driverNames: drivers, actions: actions, levels: levels, seed: 1)
            Self.append(rows[...], to: b)
            let expected = Self.reference(rows, driverWidth: b.driverWidth, actionWidth: b.actionWidth, categoryWidths: b.categoryWidths)
            let got = Self.columns(b)
            XCTAssertEqual(got.count, expected.count)
            for (k, (g, e)) in zip(got, expected).enumerated() { XCTAssertEqual(g, e, "column \(k) with \(drivers) drivers") }
            XCTAssertEqual(b.rowCount, 40_000)
            XCTAssertFalse(b.parts.linesConsecutive)
            XCTAssertEqual(b.hasCategories, !levels.isEmpty)
            XCTAssertEqual(Self.levels(b), Self.levels(rows))
        }
    }

    func testLevelsAreCountedEightBytesAtATimeExactly() {
        // Every byte value, at every alignment and length, against a plain count.
        var state: UInt64 = 9
        let bytes = (0..<600).map { k -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1
            return k < 256 ? UInt8(k) : UInt8(truncatingIfNeeded: (state >> 33) % 4 == 3 ? state >> 40 : (state >> 33) % 3)
        }
        bytes.withUnsafeBytes { raw in
            for start in 0..<9 {
                for count in [0, 1, 7, 8, 9, 15, 16, 17, 255, 256, 257, 591 - start] {
                    let slice = bytes[start..<(start + count)]
                    let got = PredictionBlockBuilder.countZerosAndOnes(raw.baseAddress! + start, count: count)
                    XCTAssertEqual(got.zeros, slice.filter { $0 == 0 }.count, "start \(start), count \(count)")
                    XCTAssertEqual(got.ones, slice.filter { $0 == 1 }.count, "start \(start), count \(count)")
                }
            }
        }
    }

    func testConsecutiveLinesAreWrittenOutWhenRead() {
        let b = PredictionBlockBuilder(driverNames: 6, interventions: 3, categoryLevels: [3])
        let rows = Self.rows(1000, firstLine: 2, consecutive: 1000, driverNames: 6, actions: 3, levels: [3], seed: 2)
        Self.append(rows[..<400], to: b)
        // Read in the middle (the deltas so far are written out), then more rows.
        XCTAssertEqual(Self.columns(b)[4], [0] + [UInt8](repeating: 2, count: 399))
        Self.append(rows[400...], to: b)
        let expected = Self.reference(rows, driverWidth: 1, actionWidth: 1, categoryWidths: [1])
        XCTAssertEqual(Self.columns(b), expected)
        XCTAssertTrue(b.parts.linesConsecutive)
        b.seal()
        XCTAssertEqual(b.details.bytes.first, 0, "consecutive lines: no deltas stored")
    }

    func testARowWithoutCategoryCodesLeavesTheBlockWithoutCategories() {
        let b = PredictionBlockBuilder(driverNames: 6, interventions: 3, categoryLevels: [3, 4])
        var rows = Self.rows(3000, firstLine: 1, consecutive: 3000, driverNames: 6, actions: 3, levels: [3, 4], seed: 3)
        rows[1500].codes = nil
        Self.append(rows[...], to: b)
        XCTAssertFalse(b.hasCategories)
        XCTAssertEqual(Array(Self.columns(b)[0..<11]), Array(Self.reference(rows, driverWidth: 1, actionWidth: 1, categoryWidths: [1, 1])[0..<11]))
        b.seal()
        XCTAssertEqual(b.categories.count, 0)
        // Reset: a block of whole rows has its categories again.
        b.reset()
        let again = Self.rows(100, firstLine: 1, consecutive: 100, driverNames: 6, actions: 3, levels: [3, 4], seed: 4)
        Self.append(again[...], to: b)
        XCTAssertTrue(b.hasCategories)
        XCTAssertEqual(Self.columns(b), Self.reference(again, driverWidth: 1, actionWidth: 1, categoryWidths: [1, 1]))
    }

    func testChunksAppendedBetweenRowsKeepEveryColumn() throws {
        let recording = PredictionRecording(driverNames: 6, interventions: 3, categoryLevels: [3])
        let rows = Self.rows(30_000, firstLine: 10, consecutive: 12_000, driverNames: 6, actions: 3, levels: [3], seed: 5)
        let block = recording.makeChunk(firstLine: 0)
        Self.append(rows[..<5000], to: block)
        let chunk = recording.makeChunk(firstLine: rows[5000].line)
        Self.append(rows[5000..<20_000], to: chunk)
        block.append(contentsOf: chunk)
        Self.append(rows[20_000...], to: block)
        // The chunk's first row and the first row after it are front-coded from scratch.
        let expected = Self.reference(rows, driverWidth: 1, actionWidth: 1, categoryWidths: [1], restartFrontCodingAt: [5000, 20_000])
        XCTAssertEqual(Self.columns(block), expected)
        XCTAssertEqual(block.rowCount, 30_000)
        XCTAssertEqual(Self.levels(block), Self.levels(rows))
        XCTAssertEqual(block.parts.levelCounts.high, Self.levels(rows)[2])
        XCTAssertTrue(block.hasCategories)

        // A builder loaded from those columns (the wire's way) seals to the same blobs.
        let columns = Self.columns(block)
        let copy = recording.makeChunk(firstLine: 0)
        let joined = columns.flatMap { $0 }
        try joined.withUnsafeBytes { all in
            var start = 0
            var pointers: [UnsafeRawBufferPointer] = []
            for c in columns {
                pointers.append(UnsafeRawBufferPointer(rebasing: all[start..<(start + c.count)]))
                start += c.count
            }
            try copy.load(block.parts, columns: pointers)
        }
        XCTAssertEqual(copy.rowCount, 30_000)
        XCTAssertEqual(Self.levels(copy), Self.levels(rows))
        XCTAssertEqual(Self.columns(copy), expected)
        block.seal()
        copy.seal()
        XCTAssertEqual(Array(copy.scores.bytes), Array(block.scores.bytes))
        XCTAssertEqual(Array(copy.details.bytes), Array(block.details.bytes))
        XCTAssertEqual(Array(copy.categories.bytes), Array(block.categories.bytes))
    }
}
