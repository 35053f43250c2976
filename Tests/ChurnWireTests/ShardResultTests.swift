import ChurnCore
import ChurnWire
import XCTest

/// SHARD_RESULT of protocol version 4: the worker's results CSV and history chunk, checked on
/// decoding so that a client can copy them as they are.
final class ShardResultTests: XCTestCase {
    private var example: Message.ShardResult {
        Message.ShardResult(shardId: 7, attempt: 1, rowCount: 2, csv: WireExamples.resultCSV[...], history: WireExamples.resultHistory,
                            aggregate: WireExamples.resultAggregate)
    }

    /// The detail of the malformed-payload error decoding `result` gives.
    private func malformedDetail(_ result: Message.ShardResult, file: StaticString = #filePath, line: UInt = #line) -> String? {
        malformedDetail(payload: result.encodedPayload(), file: file, line: line)
    }

    private func malformedDetail(payload: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> String? {
        do {
            let decoded = try Message.decode(Frame(type: .shardResult, requestId: 1, payload: payload))
            XCTFail("decoded \(decoded)", file: file, line: line)
            return nil
        } catch let WireError.malformedPayload(_, detail) {
            return detail
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testPartsMakeTheFrame() throws {
        let result = example
        let (head, tail) = result.encodeParts(requestId: 5, flags: [])
        let whole = head + WireExamples.resultCSV + tail
        XCTAssertEqual(whole, Message.shardResult(result).encode(requestId: 5))
        XCTAssertEqual(try decodeOne(whole).1, .shardResult(result))
        var noHistory = result
        noHistory.history = nil
        let parts = noHistory.encodeParts(requestId: 6)
        XCTAssertEqual(parts.head + WireExamples.resultCSV + parts.tail, Message.shardResult(noHistory).encode(requestId: 6))
    }

    func testPartsFromMemoryOutsideTheMessageMakeTheSameFrame() throws {
        // As a worker frames a result: the CSV from its formatter's buffer, the history columns
        // from their builder, neither copied into the message first.
        let full = example
        var bare = full
        bare.csv = []
        bare.history!.columns = []
        let columns = WireExamples.resultHistory.columns.map(Array.init)
        let source = HistoryColumnSource(count: columns.count, byteCount: columns.reduce(0) { $0 + $1.count }) { body in
            for c in columns { c.withUnsafeBytes(body) }
        }
        let (head, tail) = WireExamples.resultCSV.withUnsafeBytes {
            bare.encodeParts(requestId: 9, csvBytes: $0, historyColumns: source)
        }
        XCTAssertEqual(head + WireExamples.resultCSV + tail, Message.shardResult(full).encode(requestId: 9))
        XCTAssertEqual(try decodeOne(head + WireExamples.resultCSV + tail).1, .shardResult(full))
        var noHistory = bare
        noHistory.history = nil
        let parts = WireExamples.resultCSV.withUnsafeBytes { noHistory.encodeParts(requestId: 3, csvBytes: $0) }
        var expected = full
        expected.history = nil
        XCTAssertEqual(parts.head + WireExamples.resultCSV + parts.tail, Message.shardResult(expected).encode(requestId: 3))
    }

    func testDecodedCSVAndColumnsAreTheSentBytes() throws {
        guard case let .shardResult(decoded) = try decodeOne(Message.shardResult(example).encode(requestId: 5)).1 else { return XCTFail() }
        XCTAssertEqual(Array(decoded.csv), WireExamples.resultCSV)
        XCTAssertEqual(decoded.history?.columns.map(Array.init), WireExamples.resultHistory.columns.map(Array.init))
        XCTAssertEqual(decoded.history?.rowCount, 2)
    }

    func testCSVThatCannotHoldTheRowsIsMalformed() {
        var r = example
        r.csv = WireExamples.resultCSV.dropLast()  // no final line feed
        XCTAssertTrue(malformedDetail(r)?.hasPrefix("csv:") == true)
        r.csv = [0x0A]  // 1 byte for 2 rows
        XCTAssertTrue(malformedDetail(r)?.hasPrefix("csv:") == true)
        var empty = example
        empty.rowCount = 0
        empty.history = nil
        XCTAssertTrue(malformedDetail(empty)?.hasPrefix("csv: ") == true)
    }

    func testRowCountMustMatchTheAggregateAndTheHistory() {
        var r = example
        r.rowCount = 3
        r.csv = (WireExamples.resultCSV + Array("C003,0.5,50,Medium,50,,,,,,,Monitor\n".utf8))[...]
        XCTAssertTrue(malformedDetail(r)?.contains("history level counts") == true)
        r.history = nil
        XCTAssertTrue(malformedDetail(r)?.contains("the aggregate scored 2 rows") == true)
    }

    func testImpossibleHistoryLinesAreMalformed() {
        var r = example
        r.history!.lastLine = 1  // before the first line
        XCTAssertTrue(malformedDetail(r)?.contains("before its first line") == true)
        r.history!.lastLine = 9  // consecutive lines 2…9 are not 2 rows
        XCTAssertTrue(malformedDetail(r)?.contains("consecutive") == true)
        r.history!.linesConsecutive = false  // rows on lines 2 and 9, with lines between: possible
        XCTAssertEqual(try? Message.decode(Frame(type: .shardResult, requestId: 1, payload: r.encodedPayload())), .shardResult(r))
    }

    func testHistoryPresenceMustBeZeroOrOne() {
        var payload = example.encodedPayload()
        let presence = 8 + 4 + 4 + 4 + WireExamples.resultCSV.count
        XCTAssertEqual(payload[presence], 1)
        payload[presence] = 2
        XCTAssertTrue(malformedDetail(payload: payload)?.contains("history present is 2") == true)
    }

    func testEveryCutOfTheExampleIsMalformedNeverACrash() {
        let payload = example.encodedPayload()
        for cut in 0..<payload.count {
            XCTAssertNotNil(malformedDetail(payload: Array(payload[..<cut])), "cut at \(cut)")
        }
        XCTAssertNotNil(malformedDetail(payload: payload + [0]))  // trailing byte
    }
}
