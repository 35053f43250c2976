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

/// The compared run's High ids are loaded while the first blocks are written; the comparison
/// stays exact and in input order.
final class PredictionWriterComparisonTests: XCTestCase {
    private var directory: URL!
    private var dbPath: String { directory.appendingPathComponent("runs.sqlite").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        HighIdTableLoader.startGate = nil
        try? FileManager.default.removeItem(at: directory)
    }

    private func start() -> RunStart {
        RunStart(inputPath: "/in/c.csv", inputBytes: 1, inputFingerprint: "f", modelHash: "h", modelPath: "m", rankBy: .combined)
    }

    /// A chunk of 150 rows with ids `C<line>`, High where `high(line)`.
    private func chunk(_ writer: PredictionWriter, firstLine: UInt64, high: (UInt64) -> Bool) -> PredictionBlockBuilder {
        let c = writer.recording.makeChunk(firstLine: firstLine)
        for i in 0..<150 {
            let line = firstLine + UInt64(i)
            var id = "C\(line)"
            let score = RowScore(probability: 0.5, riskScore: 50, riskLevel: high(line) ? .high : .low, health: 10,
                                 drivers: (0, RowScore.noDriver, RowScore.noDriver), impacts: (1, 0, 0), intervention: 0)
            id.withUTF8 { c.append(lineOffset: UInt32(i), id: UnsafeRawBufferPointer($0), score: score) }
        }
        return c
    }

    private func run(_ store: RunStore, chunks: Int, comparingWith previous: Int64?, high: (UInt64) -> Bool,
                     beforeFinish: (PredictionWriter) -> Void = { _ in }) throws -> (Int64, [String]) {
        let runId = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: runId, driverNames: ["d"], interventions: ["a"], blockRows: 200,
                                                comparingWith: previous)
        for k in 0..<chunks { try writer.append(chunk: chunk(writer, firstLine: UInt64(2 + 150 * k), high: high)) }
        beforeFinish(writer)
        try store.finishRun(runId, summaryJSON: "{}", rowsScored: UInt64(150 * chunks), rowsRejected: 0)
        return (runId, writer.newlyHigh)
    }

    func testBlocksWrittenBeforeTheComparedRunIsLoadedAreComparedExactlyAndInOrder() throws {
        let store = try RunStore(path: dbPath)
        let chunks = 3 * PredictionWriter.blocksPerCommit
        let (first, none) = try run(store, chunks: chunks, comparingWith: nil, high: { $0 % 3 == 0 })
        XCTAssertEqual(none, [])

        let gate = DispatchSemaphore(value: 0)
        HighIdTableLoader.startGate = gate
        let newHigh: (UInt64) -> Bool = { $0 % 3 == 0 || $0 % 5 == 0 }
        let (_, newly) = try run(store, chunks: chunks, comparingWith: first, high: newHigh) { writer in
            XCTAssertGreaterThan(writer.uncomparedBlocks, 0, "blocks were written while the table was not built")
            gate.signal()
        }
        let lines = (0..<UInt64(150 * chunks)).map { $0 + 2 }
        XCTAssertEqual(newly, lines.filter { newHigh($0) && $0 % 3 != 0 }.map { "C\($0)" })
        XCTAssertEqual(newly.count, Set(newly).count)
    }
}

/// `WALCheckpointer` keeps the WAL bounded: at `maxFrames` a commit waits for a checkpoint, so the
/// next transaction writes from the start of the WAL again instead of growing it.
final class WALCheckpointerTests: XCTestCase {
    func testACommitOverTheLimitWaitsForACheckpointSoTheWALStopsGrowing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wal.sqlite").path
        let store = try RunStore(path: path)
        try store.db.execute("PRAGMA wal_autocheckpoint = 0; CREATE TABLE t (b BLOB)")
        let checkpointer = WALCheckpointer(path: path, maxFrames: 1)
        defer { checkpointer.stop() }
        let blob = [UInt8](repeating: 7, count: 1 << 20)
        var sizes: [Int] = []
        for _ in 0..<12 {
            try store.db.execute("BEGIN IMMEDIATE")
            let s = try store.db.prepare("INSERT INTO t (b) VALUES (?)", "insert")
            try blob.withUnsafeBytes {
                s.bindStatic(1, $0)
                try s.run()
            }
            try store.db.execute("COMMIT")
            checkpointer.committed(walFrames: .max)
            let wal = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
            sizes.append(wal)
        }
        // Each 1 MiB transaction starts again at the beginning of the WAL, which never grows by
        // another transaction (without the wait it grew by about 1.2 MB a commit, to 15.7 MB).
        XCTAssertGreaterThan(sizes[0], 1 << 20)
        XCTAssertLessThan(sizes.max()!, sizes[0] + (1 << 20), "WAL sizes after each commit: \(sizes)")
        XCTAssertEqual(try store.db.scalarInt("SELECT count(*) FROM t"), 12)
    }
}
