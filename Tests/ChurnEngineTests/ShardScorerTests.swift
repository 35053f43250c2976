import ChurnCore
import ChurnEngine
import ChurnIO
import XCTest

/// The byte-level scorer against the slow, String-based reference path.
final class ShardScorerTests: XCTestCase {
    /// The repository's root, through symbolic links (scripts/tsan reaches this file through one).
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func model() throws -> CompiledModel {
        let (table, fingerprint) = try CSVTableReader.read(path: Self.root.appendingPathComponent("scripts/data/train.csv").path)
        return try CompiledModel(try Trainer(options: .init(labelColumn: "churn_label")).train(table, fingerprint: fingerprint))
    }

    struct Collect: ScoredRowSink {
        var rows: [(UInt32, String, RowScore)] = []
        mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore) {
            rows.append((lineOffset, String(decoding: id, as: UTF8.self), score))
        }
    }

    func testFastPathMatchesTheReferenceScorerAndRejectsBadRows() throws {
        let model = try model()
        let testPath = Self.root.appendingPathComponent("scripts/data/test.csv").path
        let (table, _) = try CSVTableReader.read(path: testPath)
        var text = try String(contentsOfFile: testPath, encoding: .utf8)
        let headerEnd = text.firstIndex(of: "\n")!
        let header = text[..<headerEnd].split(separator: ",").map(String.init)
        text = String(text[text.index(after: headerEnd)...])
        text += "C9,x@y,enterprise,north,abc,1,2,3,4,5,6,7,8,0\n"          // line 502: not a number
        text += "C10,short\n"                                                // line 503: field count
        text += "\"C11, \"\"q\"\"\",q@x, mid-market ,south,,10,0,0,1,30,100,0,20,1\r\n"  // line 504: quoted id, blank, spaces
        let binding = try ColumnBinding(header: header, model: model.model, file: "test.csv")
        let scorer = ShardScorer(model: model, binding: binding, rankBy: .combined, topLimit: 5)
        var sink = Collect()
        var aggregate = scorer.makeAggregate()
        Array(text.utf8).withUnsafeBytes { scorer.score($0, firstLine: 2, sink: &sink, aggregate: &aggregate) }

        XCTAssertEqual(sink.rows.count, 501)
        for (i, row) in table.rows.enumerated() {
            var record: [String: String] = [:]
            for (c, name) in table.header.enumerated() { record[name] = row[c] }
            XCTAssertEqual(sink.rows[i].2, try model.score(record: record), "row \(i)")
            XCTAssertEqual(sink.rows[i].1, row[0])
            XCTAssertEqual(UInt64(sink.rows[i].0) + 2, table.lines[i])
        }
        XCTAssertEqual(sink.rows[500].1, "C11, \"q\"")
        XCTAssertEqual(sink.rows[500].0, 502)
        XCTAssertEqual(aggregate.rowsScored, 501)
        XCTAssertEqual(aggregate.imputedCells, 1)
        XCTAssertEqual(aggregate.rejected, [
            RejectedRow(line: 502, reason: "column 5 'avg_daily_usage': 'abc' is not a number"),
            RejectedRow(line: 503, reason: "expected 14 fields, found 2"),
        ])
        XCTAssertEqual(aggregate.top.count, 5)
        XCTAssertTrue(zip(aggregate.top, aggregate.top.dropFirst()).allSatisfy { $0.rankKey >= $1.rankKey })
    }

    func testMissingRequiredColumnIsOneClearError() throws {
        let model = try model()
        XCTAssertThrowsError(try ColumnBinding(header: ["customer_id", "segment"], model: model.model, file: "in.csv")) {
            let text = "\($0)"
            XCTAssertTrue(text.hasPrefix("in.csv:1: missing required columns 'avg_daily_usage'"), text)
        }
    }

    func testResultsDoNotDependOnChunkSize() throws {
        let model = try model()
        let path = Self.root.appendingPathComponent("scripts/data/test.csv").path
        func run(chunkSize: Int, threads: Int) throws -> ([UInt8], ScoreAggregate) {
            let reader = try ChunkReader(path: path, chunkSize: chunkSize)
            var out: [UInt8] = []
            let aggregate = try LocalScorer(model: model, rankBy: .risk, topLimit: 7, threads: threads)
                .run(reader: reader, consume: { out += $0.csv.array })
            return (out, aggregate)
        }
        let (a, aggA) = try run(chunkSize: 1 << 20, threads: 1)
        let (b, aggB) = try run(chunkSize: 1024, threads: 3)
        XCTAssertEqual(a, b)
        XCTAssertEqual(aggA, aggB)
        XCTAssertEqual(aggA.rowsScored, 500)
    }
}
