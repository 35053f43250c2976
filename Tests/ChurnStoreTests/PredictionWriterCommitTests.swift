import ChurnCore
import Foundation
import XCTest

@testable import ChurnHistoryFormat
@testable import ChurnStore

/// Blocks made of chunks are committed `PredictionWriter.blocksPerCommit` at a time; nothing is
/// lost at the end of a run, whichever way it ends.
final class PredictionWriterCommitTests: XCTestCase {
    private var directory: URL!
    private var dbPath: String { directory.appendingPathComponent("runs.sqlite").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-commits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func start() -> RunStart {
        RunStart(inputPath: "/in/c.csv", inputBytes: 1, inputFingerprint: "f", modelHash: "h", modelPath: "m", rankBy: .combined)
    }

    /// A chunk of 150 rows (taken whole as a block with `blockRows` 200), lines from `firstLine`.
    private func chunk(_ writer: PredictionWriter, firstLine: UInt64) -> PredictionBlockBuilder {
        let c = writer.recording.makeChunk(firstLine: firstLine)
        for i in 0..<150 {
            var id = "C\(firstLine + UInt64(i))"
            let score = RowScore(probability: 0.9, riskScore: 90, riskLevel: i % 3 == 0 ? .high : .low, health: 10,
                                 drivers: (0, RowScore.noDriver, RowScore.noDriver), impacts: (1, 0, 0), intervention: 0)
            id.withUTF8 { c.append(lineOffset: UInt32(i), id: UnsafeRawBufferPointer($0), score: score) }
        }
        return c
    }

    func testChunkBlocksAreCommittedInGroupsAndAllAtTheEnd() throws {
        let store = try RunStore(path: dbPath)
        let reader = try RunStore(path: dbPath)
        let runId = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: runId, driverNames: ["d"], interventions: ["a"], blockRows: 200)
        let group = PredictionWriter.blocksPerCommit
        XCTAssertGreaterThan(group, 1)
        for k in 0..<(group - 1) { try writer.append(chunk: chunk(writer, firstLine: UInt64(2 + 150 * k))) }
        XCTAssertEqual(try reader.predictionCount(runId: runId), 0, "a group is committed once complete")
        try writer.append(chunk: chunk(writer, firstLine: UInt64(2 + 150 * (group - 1))))
        XCTAssertEqual(try reader.predictionCount(runId: runId), 150 * group)
        try writer.append(chunk: chunk(writer, firstLine: UInt64(2 + 150 * group)))
        try writer.flush()
        XCTAssertEqual(try reader.predictionCount(runId: runId), 150 * (group + 1), "flush writes the blocks waiting")
        try writer.append(chunk: chunk(writer, firstLine: UInt64(2 + 150 * (group + 1))))
        try store.finishRun(runId, summaryJSON: "{}", rowsScored: UInt64(150 * (group + 2)), rowsRejected: 0)
        XCTAssertEqual(try reader.run(id: runId)?.status, .succeeded)
        let page = try reader.customerPage(CustomerQuery(runId: runId, offset: 0, limit: 10_000))
        XCTAssertEqual(page.rows.map(\.line), (0..<(150 * (group + 2))).map { UInt64($0 + 2) })
        XCTAssertEqual(try reader.history(customerId: "C\(2 + 150 * (group + 1) + 3)").count, 1, "the last segment is indexed")
    }

    func testADroppedWriterCommitsItsWaitingBlocksAndAFailedRunKeepsNone() throws {
        let store = try RunStore(path: dbPath)
        let runId = try store.beginRun(start())
        do {
            let writer = try store.predictionWriter(runId: runId, driverNames: ["d"], interventions: ["a"], blockRows: 200)
            try writer.append(chunk: chunk(writer, firstLine: 2))
            try writer.append(chunk: chunk(writer, firstLine: 152))
        }
        XCTAssertEqual(try store.predictionCount(runId: runId), 300)
        XCTAssertEqual(try store.run(id: runId)?.status, .running, "not a result until finished")
        try store.failRun(runId, error: "interrupted")
        XCTAssertEqual(try store.predictionCount(runId: runId), 0)

        let second = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: second, driverNames: ["d"], interventions: ["a"], blockRows: 200)
        try writer.append(chunk: chunk(writer, firstLine: 2))
        try store.failRun(second, error: "cancelled")
        XCTAssertEqual(try store.predictionCount(runId: second), 0)
        XCTAssertEqual(try store.run(id: second)?.status, .failed)
        XCTAssertThrowsError(try writer.append(chunk: chunk(writer, firstLine: 152)))
    }
}
