import ChurnCore
import Foundation
import XCTest

@testable import ChurnHistoryFormat
@testable import ChurnStore

/// The previous run's High-risk ids as `PredictionWriter` compares against them: exact answers
/// whatever the order, the id lengths or the number of ids per hash bucket.
final class HighIdTableTests: XCTestCase {
    /// `high_ids` blobs: a varint length, then the bytes, per id; `perBlob` ids a blob.
    private func blobs(_ ids: [String], perBlob: Int) -> [[UInt8]] {
        stride(from: 0, to: ids.count, by: perBlob).map { start in
            let sink = ByteSink()
            for id in ids[start..<min(ids.count, start + perBlob)] {
                sink.putVarint(UInt64(id.utf8.count))
                Array(id.utf8).withUnsafeBytes { sink.put($0) }
            }
            return Array(sink.bytes)
        }
    }

    private func table(_ ids: [String], perBlob: Int = 1000) throws -> HighIdTable {
        let parts = blobs(ids, perBlob: perBlob)
        return try HighIdTable(expected: ids.count, blobBytes: parts.reduce(0) { $0 + $1.count }) { add in
            for p in parts { p.withUnsafeBytes { add($0) } }
        }
    }

    private func has(_ t: HighIdTable, _ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return bytes.withUnsafeBytes { t.contains($0, hash: CustomerIndex.hash($0)) }
    }

    func testEveryMemberIsFoundAndNothingElse() throws {
        // Many buckets, an empty id, ids longer than 127 bytes (two-byte lengths), near misses.
        var members = (0..<60_000).map { "C\(String(format: "%08d", $0 * 3))" }
        members += ["", String(repeating: "x", count: 300), "é-ünïcode"]
        let t = try table(members)
        XCTAssertEqual(t.count, members.count)
        for id in members.shuffled() { XCTAssertTrue(has(t, id), id) }
        let others = (0..<20_000).map { "C\(String(format: "%08d", $0 * 3 + 1))" }
            + ["C", "C0000000", "C000000000", String(repeating: "x", count: 299), String(repeating: "x", count: 301), " "]
        for id in others { XCTAssertFalse(has(t, id), id) }
    }

    func testEmptyTableHoldsNothing() throws {
        XCTAssertFalse(has(HighIdTable(), "A"))
        let t = try table([])
        XCTAssertEqual(t.count, 0)
        XCTAssertFalse(has(t, ""))
    }

    func testCursorFollowsInputOrder() throws {
        let ids = ["A1", "B22", "C333", "D4444", "E55555", "F666666"]
        let t = try table(ids, perBlob: 2)
        var cursor = 0
        func near(_ id: String) -> Bool { Array(id.utf8).withUnsafeBytes { t.findNear($0, cursor: &cursor) } }
        XCTAssertTrue(near("A1"))
        XCTAssertTrue(near("C333"), "within the look-ahead")
        XCTAssertFalse(near("A1"), "behind the cursor")
        XCTAssertFalse(near("Z"))
        // A hash lookup moves the cursor past the id found, wherever it is.
        XCTAssertTrue(Array("B22".utf8).withUnsafeBytes { t.find($0, hash: CustomerIndex.hash($0), cursor: &cursor) })
        XCTAssertTrue(near("C333"))
        XCTAssertTrue(near("F666666"))
        XCTAssertFalse(near("E55555"))
    }

    func testCursorWalksAcrossGroupsOfFrontCodedIds() throws {
        // 1000 ids (63 groups of 16): walking them in order, with some left out (within the
        // look-ahead) and some far jumps by hash, finds each one and only where it is.
        let ids = (0..<1000).map { "C\(String(format: "%08d", $0 * 7))" }
        let t = try table(ids, perBlob: 37)
        var cursor = 0
        for (k, id) in ids.enumerated() where k % 5 != 3 {
            XCTAssertTrue(Array(id.utf8).withUnsafeBytes { t.findNear($0, cursor: &cursor) }, id)
            XCTAssertEqual(cursor, k + 1)
        }
        XCTAssertFalse(Array(ids[500].utf8).withUnsafeBytes { t.findNear($0, cursor: &cursor) }, "behind the cursor")
        for k in [999, 0, 512, 511, 16, 15, 17] {
            XCTAssertTrue(Array(ids[k].utf8).withUnsafeBytes { t.find($0, hash: CustomerIndex.hash($0), cursor: &cursor) })
            XCTAssertEqual(cursor, k + 1)
            if k + 1 < ids.count {
                XCTAssertTrue(Array(ids[k + 1].utf8).withUnsafeBytes { t.findNear($0, cursor: &cursor) }, "the id after \(k)")
            }
        }
    }

    func testContainsEachFindsExactlyTheMembersWithoutTheIndex() throws {
        var members = (0..<5000).map { "C\(String(format: "%08d", $0 * 3))" }
        members += ["", "x", String(repeating: "y", count: 300), "AAC00000003"]
        let t = try table(members, perBlob: 97)
        // Same length and last 8 bytes as members but other bytes before them; duplicates; short ids.
        let candidates = ["C00000003", "AAC00000003", "BBC00000003", "C00000004", "", "x", "z", "C00000003",
                          String(repeating: "y", count: 300), String(repeating: "y", count: 299), "C00014997"]
        var list = IdList()
        for c in candidates { Array(c.utf8).withUnsafeBytes { list.append($0) } }
        let found = t.containsEach(list)
        XCTAssertEqual(found, candidates.map { members.contains($0) })
        XCTAssertFalse(t.isIndexed, "a pass in order needs no hash index")
        XCTAssertEqual(HighIdTable().containsEach(list), candidates.map { _ in false })
    }

    /// Through the store: a second run in another order, with ids moving in and out of High, gives
    /// exactly the ids a set of strings gives, whether the ids `findNear` misses are settled at the
    /// end in one pass (few) or through the hash index (more than `maxDeferredMisses`).
    func testWriterNewlyHighMatchesASetOfStrings() throws {
        XCTAssertFalse(try newlyHighAgainstASetOfStrings(shuffled: true), "a few thousand misses are settled without the index")
    }

    func testManyMissesBuildTheHashIndexAndStayExact() throws {
        let saved = PredictionWriter.maxDeferredMisses
        PredictionWriter.maxDeferredMisses = 100
        defer { PredictionWriter.maxDeferredMisses = saved }
        XCTAssertTrue(try newlyHighAgainstASetOfStrings(shuffled: true))
    }

    func testTheSameOrderNeedsNoHashIndex() throws {
        XCTAssertFalse(try newlyHighAgainstASetOfStrings(shuffled: false))
    }

    /// Checks `newlyHigh` of a second run against a set of strings; returns whether the writer's
    /// table of the first run built its hash index.
    private func newlyHighAgainstASetOfStrings(shuffled: Bool) throws -> Bool {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-highids-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try RunStore(path: directory.appendingPathComponent("runs.sqlite").path)
        var rng = SystemRandomNumberGenerator()
        let ids = (0..<40_000).map { "K\($0 * 7)" }
        func level(_: String) -> RiskLevel { [RiskLevel.low, .medium, .high].randomElement(using: &rng)! }
        let firstLevels = Dictionary(uniqueKeysWithValues: ids.map { ($0, level($0)) })
        // The second run: the same order or a shuffled stretch, and some new customers.
        var secondIds = ids
        if shuffled { secondIds[10_000..<20_000].shuffle() }
        secondIds += (0..<3000).map { "N\($0)" }
        let secondLevels = Dictionary(uniqueKeysWithValues: secondIds.map { ($0, level($0)) })

        func run(_ order: [String], _ levels: [String: RiskLevel], comparingWith previous: Int64?) throws -> (Int64, [String], Bool) {
            let start = RunStart(inputPath: "/in/c.csv", inputBytes: 1, inputFingerprint: "f", modelHash: "h", modelPath: "m",
                                 rankBy: .combined)
            let id = try store.beginRun(start)
            let writer = try store.predictionWriter(runId: id, driverNames: ["d"], interventions: ["a"], blockRows: 4096,
                                                    comparingWith: previous)
            for (i, c) in order.enumerated() {
                let l = levels[c]!
                try writer.append(line: UInt64(i + 2), customerId: c,
                                  score: RowScore(probability: 0.5, riskScore: 50, riskLevel: l, health: 50,
                                                  drivers: (0, RowScore.noDriver, RowScore.noDriver), impacts: (1, 0, 0),
                                                  intervention: 0))
            }
            try store.finishRun(id, summaryJSON: "{}", rowsScored: UInt64(order.count), rowsRejected: 0)
            let newlyHigh = writer.newlyHigh
            return (id, newlyHigh, writer.comparedWithIndex)
        }
        let (first, _, _) = try run(ids, firstLevels, comparingWith: nil)
        let (second, newlyHigh, indexed) = try run(secondIds, secondLevels, comparingWith: first)
        let wasHigh = Set(ids.filter { firstLevels[$0] == .high })
        let expected = secondIds.filter { secondLevels[$0] == .high && !wasHigh.contains($0) }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(newlyHigh, expected)
        XCTAssertEqual(try store.newlyHighRisk(runId: second, previousRunId: first), expected)
        return indexed
    }
}
