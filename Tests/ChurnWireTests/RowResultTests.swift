import ChurnCore
import ChurnWire
import XCTest

final class RowResultTests: XCTestCase {
    private func sampleScores(_ n: Int) -> [(UInt32, [UInt8], RowScore)] {
        var rng = SplitMix64(seed: 3)
        return (0..<n).map { i in
            let p = Double(rng.next() % 10_000) / 10_000
            let s = RowScore(probability: p, riskScore: UInt8((p * 100).rounded()), riskLevel: RiskLevel(rawValue: UInt8(i % 3))!,
                             health: UInt8(rng.next() % 101), drivers: (UInt16(i % 7), i % 2 == 0 ? 3 : RowScore.noDriver, RowScore.noDriver),
                             impacts: (Float(i) / 7, 0.25, 0), intervention: UInt16(i % 5))
            return (UInt32(i * 2), Array("CUST-\(i)".utf8), s)
        }
    }

    func testWriterAndIteratorRoundTrip() throws {
        let rows = sampleScores(500)
        var w = RowResultWriter(capacity: 500 * 48)
        for (o, id, s) in rows { w.append(lineOffset: o, id: id, score: s) }
        XCTAssertEqual(w.count, 500)
        XCTAssertEqual(w.bytes.count, rows.reduce(0) { $0 + RowResultWriter.fixedSize + $1.1.count })
        let result = Message.ShardResult(shardId: 1, attempt: 0, rows: w, aggregate: ScoreAggregate(topLimit: 1))
        let (_, message) = try decodeOne(Message.shardResult(result).encode(requestId: 1))
        guard case let .shardResult(decoded) = message else { return XCTFail() }
        var i = 0
        try decoded.forEachRow { row in
            XCTAssertEqual(row.lineOffset, rows[i].0)
            XCTAssertEqual(Array(row.id), rows[i].1)
            XCTAssertEqual(row.score, rows[i].2)
            i += 1
        }
        XCTAssertEqual(i, 500)
    }

    func testByteLayoutOfOneRow() {
        var w = RowResultWriter()
        let s = RowScore(probability: 0.5, riskScore: 50, riskLevel: .medium, health: 70, drivers: (1, 2, RowScore.noDriver),
                         impacts: (1.0, 0.5, 0), intervention: 3)
        w.append(lineOffset: 0x0102_0304, id: Array("AB".utf8), score: s)
        let expected: [UInt8] = [1, 2, 3, 4, 0, 2, 0x41, 0x42,
                                 0x3F, 0xE0, 0, 0, 0, 0, 0, 0,
                                 50, 1, 70,
                                 0, 1, 0x3F, 0x80, 0, 0,
                                 0, 2, 0x3F, 0, 0, 0,
                                 0xFF, 0xFF, 0, 0, 0, 0,
                                 0, 3]
        XCTAssertEqual(w.bytes, expected)
    }

    func testLongIdsAreCut() throws {
        var w = RowResultWriter()
        w.append(lineOffset: 0, id: [UInt8](repeating: 0x61, count: 70_000), score: RowScore())
        try w.bytes.withUnsafeBytes { b in
            var it = RowResultIterator(b)
            XCTAssertEqual(try it.next()?.id.count, 65_535)
            XCTAssertNil(try it.next())
        }
    }

    func testWriterReusesMemory() {
        var w = RowResultWriter(capacity: 4096)
        for (o, id, s) in sampleScores(20) { w.append(lineOffset: o, id: id, score: s) }
        let capacity = w.bytes.capacity
        w.removeAll()
        XCTAssertEqual(w.count, 0)
        XCTAssertEqual(w.bytes.capacity, capacity)
    }

    func testEveryTruncationOfTheBlobIsAnErrorNotACrash() throws {
        let blob = WireExamples.resultRows.bytes
        for cut in 0..<blob.count {
            let ok = (try? Array(blob[..<cut]).withUnsafeBytes { try RowResultIterator.validate($0, rowCount: 2) }) != nil
            XCTAssertFalse(ok, "cut at \(cut)")
        }
        try blob.withUnsafeBytes { try RowResultIterator.validate($0, rowCount: 2) }
    }

    func testRowCountMustMatch() {
        let blob = WireExamples.resultRows.bytes
        for count in [0, 1, 3] {
            XCTAssertThrowsError(try blob.withUnsafeBytes { try RowResultIterator.validate($0, rowCount: count) })
        }
        var result = Message.ShardResult(shardId: 1, attempt: 0, rows: WireExamples.resultRows, aggregate: ScoreAggregate(topLimit: 1))
        result.rowCount = 3
        let frame = Frame(type: .shardResult, requestId: 1, payload: result.encodedPayload())
        XCTAssertThrowsError(try Message.decode(frame)) { error in
            guard case let .malformedPayload(_, detail) = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.hasPrefix("rows:"), detail)
        }
    }

    func testImpossibleValuesAreRejected() {
        let blob = WireExamples.resultRows.bytes
        let t = 6 + 4  // first row's fixed tail starts after line offset, id length and "C001"
        for (offset, value) in [(t + 9, UInt8(3)), (t + 8, UInt8(101)), (t + 10, UInt8(255))] {
            var bad = blob
            bad[offset] = value
            XCTAssertThrowsError(try bad.withUnsafeBytes { try RowResultIterator.validate($0, rowCount: 2) }, "offset \(offset)")
        }
    }

    func testIteratorAllocatesNothingPerRow() throws {
        // Not a strict allocation count (XCTest has no hook on Linux): a smoke check that iterating a
        // big blob is quick and that `RowResult` is a plain value.
        var w = RowResultWriter()
        for (o, id, s) in sampleScores(50_000) { w.append(lineOffset: o, id: id, score: s) }
        var sum = 0.0
        let start = ContinuousClock.now
        try w.bytes.withUnsafeBytes { b in
            var it = RowResultIterator(b)
            while let r = try it.next() { sum += r.score.probability + Double(r.id.count) }
        }
        XCTAssertGreaterThan(sum, 0)
        print("iterated 50,000 rows in \(ContinuousClock.now - start) (debug build)")
    }
}

final class ShardResultScatterTests: XCTestCase {
    func testPartsMakeTheFrame() throws {
        let result = Message.ShardResult(shardId: 7, attempt: 1, rows: WireExamples.resultRows, aggregate: WireExamples.resultAggregate)
        let (head, tail) = result.encodeParts(requestId: 5, flags: [])
        let whole = head + Array(result.rows) + tail
        XCTAssertEqual(whole, Message.shardResult(result).encode(requestId: 5))
        XCTAssertEqual(try decodeOne(whole).1, .shardResult(result))
    }
}
