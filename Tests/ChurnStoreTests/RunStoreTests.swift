import CSQLite
import ChurnCore
import Foundation
import XCTest

@testable import ChurnStore

final class RunStoreTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private var dbPath: String { directory.appendingPathComponent("runs.sqlite").path }

    private let driverNames = ["open_tickets", "failed_payments", "usage_drop_pct", "tenure_months", "segment=small-business"]
    private let actions = ["Success check-in", "Dedicated support call", "Billing help and grace period"]

    private func start(_ name: String = "customers.csv") -> RunStart {
        RunStart(inputPath: "/data/in/\(name)", inputBytes: 123_456, inputFingerprint: "fnv1a64:0123456789abcdef",
                 modelHash: "sha256:feed", modelPath: "/models/churn.json", rankBy: .combined)
    }

    private func score(_ p: Double, _ level: RiskLevel, health: UInt8 = 50) -> RowScore {
        RowScore(probability: p, riskScore: UInt8((p * 100).rounded()), riskLevel: level, health: health,
                 drivers: (0, 2, RowScore.noDriver), impacts: (1.25, 0.5, 0), intervention: 1)
    }

    /// Writes one succeeded run with the given customers.
    @discardableResult
    private func storeRun(_ store: RunStore, name: String = "customers.csv",
                          _ rows: [(id: String, level: RiskLevel)]) throws -> Int64 {
        let id = try store.beginRun(start(name))
        let writer = try store.predictionWriter(runId: id, driverNames: driverNames, interventions: actions)
        for (i, row) in rows.enumerated() {
            let p: Double = row.level == .high ? 0.9 : (row.level == .medium ? 0.5 : 0.1)
            try writer.append(line: UInt64(i + 2), customerId: row.id, score: score(p, row.level))
        }
        try store.finishRun(id, summaryJSON: #"{"rowsScored":\#(rows.count)}"#, rowsScored: UInt64(rows.count), rowsRejected: 0)
        return id
    }

    func testRunWith200kPredictionsIsStoredAndQueryable() throws {
        let store = try RunStore(path: dbPath)
        let runId = try store.beginRun(start())
        XCTAssertEqual(try store.run(id: runId)?.status, .running)

        let n = 200_000
        let writer = try store.predictionWriter(runId: runId, driverNames: driverNames, interventions: actions)
        var idBytes = [UInt8](repeating: 0, count: 16)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            for i in 0..<n {
                // "C" + 7 digits, built without a String per row, as the scorer hands bytes over.
                idBytes[0] = UInt8(ascii: "C")
                var v = i
                for k in stride(from: 7, through: 1, by: -1) {
                    idBytes[k] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
                let level: RiskLevel = i % 10 == 0 ? .high : (i % 3 == 0 ? .medium : .low)
                let s = RowScore(probability: Double(i % 100) / 100, riskScore: UInt8(i % 100), riskLevel: level,
                                 health: UInt8(i % 101), drivers: (UInt16(i % 5), UInt16((i + 1) % 5), RowScore.noDriver),
                                 impacts: (1.5, 0.25, 0), intervention: UInt16(i % 3))
                try idBytes.withUnsafeBytes { buf in
                    try writer.append(line: UInt64(i + 2), customerId: UnsafeRawBufferPointer(rebasing: buf[0..<8]), score: s)
                }
            }
            try store.finishRun(runId, summaryJSON: #"{"rowsScored":\#(n)}"#, rowsScored: UInt64(n), rowsRejected: 3)
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "RunStore insert rate: %d rows in %.3f s = %.0f rows/s (this build's configuration)",
                     n, seconds, Double(n) / seconds))
        XCTAssertEqual(writer.rowsWritten, UInt64(n))

        let runs = try store.listRuns(limit: 10)
        XCTAssertEqual(runs.count, 1)
        let run = try XCTUnwrap(runs.first)
        XCTAssertEqual(run.id, runId)
        XCTAssertEqual(run.status, .succeeded)
        XCTAssertEqual(run.inputName, "customers.csv")
        XCTAssertEqual(run.inputPath, "/data/in/customers.csv")
        XCTAssertEqual(run.rankBy, "combined")
        XCTAssertEqual(run.rowsScored, UInt64(n))
        XCTAssertEqual(run.rowsRejected, 3)
        XCTAssertNotNil(run.finishedAt)
        XCTAssertEqual(run.summaryJSON, #"{"rowsScored":\#(n)}"#)
        XCTAssertEqual(try store.predictionCount(runId: runId), n)

        let history = try store.history(customerId: "C0012345")
        XCTAssertEqual(history.count, 1)
        let h = try XCTUnwrap(history.first)
        XCTAssertEqual(h.runId, runId)
        XCTAssertEqual(h.inputName, "customers.csv")
        XCTAssertEqual(h.line, 12_347)
        XCTAssertEqual(h.probability, 0.45, accuracy: 1e-7, "kept as Float32")
        XCTAssertEqual(h.riskScore, 45)
        XCTAssertEqual(h.riskLevel, .medium)
        XCTAssertEqual(h.health, 12_345 % 101)
        XCTAssertEqual(h.drivers, [DriverImpact(name: "open_tickets", impact: 1.5), DriverImpact(name: "failed_payments", impact: 0.25)])
        XCTAssertEqual(h.intervention, "Success check-in")
        XCTAssertEqual(try store.highRiskIds(runId: runId).count, n / 10)

        let page = try store.predictions(runId: runId, level: .high, limit: 3, offset: 1)
        XCTAssertEqual(page.map(\.customerId), ["C0000010", "C0000020", "C0000030"])
        XCTAssertEqual(try store.predictions(runId: runId, limit: 2).map(\.line), [2, 3])
    }

    func testFailedRunIsMarkedAndNeverCountsAsHistory() throws {
        let store = try RunStore(path: dbPath)
        let good = try storeRun(store, [("A", .low), ("B", .high)])

        let bad = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: bad, driverNames: driverNames, interventions: actions, blockRows: 300)
        for i in 0..<1000 { try writer.append(line: UInt64(i + 2), customerId: i == 0 ? "A" : "X\(i)", score: score(0.9, .high)) }
        try store.failRun(bad, error: "worker 2 lost: connection reset")

        let record = try XCTUnwrap(try store.run(id: bad))
        XCTAssertEqual(record.status, .failed)
        XCTAssertEqual(record.error, "worker 2 lost: connection reset")
        XCTAssertNil(record.summaryJSON)
        XCTAssertEqual(try store.predictionCount(runId: bad), 0, "a failed run's predictions are deleted")
        XCTAssertThrowsError(try writer.append(line: 5000, customerId: "Z", score: score(0.1, .low)))
        XCTAssertThrowsError(try store.finishRun(bad, summaryJSON: "{}", rowsScored: 1, rowsRejected: 0))
        XCTAssertNoThrow(try store.failRun(bad, error: "again"), "failing twice is harmless")
        XCTAssertThrowsError(try store.failRun(good, error: "late"), "a succeeded run cannot be failed")

        XCTAssertEqual(try store.history(customerId: "A").map(\.runId), [good])
        XCTAssertEqual(try store.previousRun(inputName: "customers.csv")?.id, good)
        XCTAssertEqual(try store.listRuns().map(\.status), [.failed, .succeeded])
    }

    func testAFailedInsertMeansTheRunCanOnlyFail() throws {
        let store = try RunStore(path: dbPath)
        try store.locked {
            try store.db.execute("""
                CREATE TEMP TRIGGER boom BEFORE INSERT ON prediction_blocks WHEN NEW.block = 2
                BEGIN SELECT RAISE(ABORT, 'disk on fire'); END
                """)
        }
        let runId = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: runId, driverNames: driverNames, interventions: actions, blockRows: 10)
        XCTAssertThrowsError(try {
            for i in 0..<100 {
                try writer.append(line: UInt64(i + 2), customerId: "C\(i)", score: self.score(0.5, .medium))
            }
        }()) { error in XCTAssertTrue(String(describing: error).contains("disk on fire"), String(describing: error)) }
        XCTAssertEqual(writer.rowsWritten, 30, "the third block's write failed")
        XCTAssertThrowsError(try writer.append(line: 999, customerId: "late", score: score(0.5, .medium)))
        XCTAssertThrowsError(try store.finishRun(runId, summaryJSON: "{}", rowsScored: 100, rowsRejected: 0))
        XCTAssertEqual(try store.run(id: runId)?.status, .running)
        XCTAssertEqual(try store.predictionCount(runId: runId), 20)
        try store.failRun(runId, error: "insert failed")
        XCTAssertEqual(try store.run(id: runId)?.status, .failed)
        XCTAssertEqual(try store.predictionCount(runId: runId), 0)
    }

    func testAbandonedRunCanBeFailedByAnotherStore() throws {
        var runId: Int64 = 0
        do {
            let store = try RunStore(path: dbPath)
            runId = try store.beginRun(start())
            let writer = try store.predictionWriter(runId: runId, driverNames: driverNames, interventions: actions, blockRows: 100)
            for i in 0..<250 { try writer.append(line: UInt64(i + 2), customerId: "C\(i)", score: score(0.9, .high)) }
            // The process "dies" here: the writer is dropped without finishRun or failRun.
        }
        let store = try RunStore(path: dbPath)
        XCTAssertEqual(try store.run(id: runId)?.status, .running)
        XCTAssertEqual(try store.predictionCount(runId: runId), 250, "dropping a writer commits its rows")
        XCTAssertTrue(try store.history(customerId: "C1").isEmpty)
        try store.failRun(runId, error: "interrupted")
        XCTAssertEqual(try store.predictionCount(runId: runId), 0)
        XCTAssertEqual(try store.deletePredictionsOfFailedRuns(), 0)
    }

    func testUncommittedRowsAreInvisibleAndFinishIsAtomic() throws {
        let store = try RunStore(path: dbPath)
        let reader = try RunStore(path: dbPath)
        let runId = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: runId, driverNames: driverNames, interventions: actions, blockRows: 1024)
        for i in 0..<1500 { try writer.append(line: UInt64(i + 2), customerId: "C\(i)", score: score(0.2, .low)) }
        // Another connection sees the committed batch only, and the run still running.
        XCTAssertEqual(try reader.predictionCount(runId: runId), 1024)
        XCTAssertEqual(try reader.run(id: runId)?.status, .running)
        XCTAssertTrue(try reader.history(customerId: "C1").isEmpty, "rows of a running run are not history")

        try store.finishRun(runId, summaryJSON: "{}", rowsScored: 1500, rowsRejected: 0)
        XCTAssertEqual(try reader.predictionCount(runId: runId), 1500)
        XCTAssertEqual(try reader.run(id: runId)?.status, .succeeded)
        XCTAssertEqual(try reader.history(customerId: "C1").count, 1)
        XCTAssertThrowsError(try writer.append(line: 9999, customerId: "late", score: score(0.2, .low)))
    }

    func testNewlyHighRiskAcrossTwoRuns() throws {
        let store = try RunStore(path: dbPath)
        let first = try storeRun(store, [("A", .high), ("B", .medium), ("C", .high), ("E", .low)])
        try storeRun(store, name: "other.csv", [("B", .high)])  // another file: not a comparison base
        let secondId = try store.beginRun(start())
        XCTAssertEqual(try store.previousRun(inputName: "customers.csv", before: secondId)?.id, first)
        let writer = try store.predictionWriter(runId: secondId, driverNames: driverNames, interventions: actions)
        let rows: [(String, RiskLevel)] = [("D", .high), ("A", .high), ("B", .high), ("C", .low), ("E", .medium), ("D", .high)]
        for (i, (id, level)) in rows.enumerated() { try writer.append(line: UInt64(i + 2), customerId: id, score: score(0.5, level)) }
        try store.finishRun(secondId, summaryJSON: "{}", rowsScored: UInt64(rows.count), rowsRejected: 0)

        XCTAssertEqual(try store.previousRun(inputName: "customers.csv")?.id, secondId)
        XCTAssertEqual(try store.previousRun(inputName: "customers.csv", before: Date().addingTimeInterval(60))?.id, secondId)
        XCTAssertNil(try store.previousRun(inputName: "customers.csv", before: Date(timeIntervalSince1970: 0)))
        XCTAssertNil(try store.previousRun(inputName: "customers.csv", before: first))
        XCTAssertEqual(try store.newlyHighRisk(runId: secondId, previousRunId: first), ["D", "B"])
        XCTAssertEqual(try store.newlyHighRisk(runId: secondId, previousRunId: nil), ["D", "A", "B"])
        XCTAssertEqual(try store.highRiskIds(runId: first), ["A", "C"])
        XCTAssertEqual(try store.history(customerId: "B").map(\.riskLevel), [.high, .high, .medium])
        XCTAssertEqual(try store.history(customerId: "B").map(\.inputName), ["customers.csv", "other.csv", "customers.csv"])

        // History probes the customer index per run; a page in input order is placed from the block
        // index's per-level counts alone.
        let historyPlan = try queryPlan(store, RunStore.historySQL)
        XCTAssertTrue(historyPlan.contains("SEARCH i USING INDEX customer_index_by_run"), historyPlan)
        XCTAssertFalse(historyPlan.contains("SCAN i"), historyPlan)
        let blocksPlan = try queryPlan(store, """
            SELECT block, row_count, low_count, medium_count, high_count FROM prediction_blocks WHERE run_id = 1 ORDER BY block
            """)
        XCTAssertTrue(blocksPlan.contains("COVERING INDEX prediction_blocks_by_run"), blocksPlan)
    }

    func testReopenSeesDataInWALModeAtCurrentSchema() throws {
        var runId: Int64 = 0
        do {
            let store = try RunStore(path: dbPath)
            runId = try storeRun(store, [("A", .high), ("B", .low)])
        }
        let store = try RunStore(path: dbPath)
        XCTAssertEqual(try store.journalMode, "wal")
        XCTAssertEqual(try store.schemaVersion, Schema.currentVersion)
        XCTAssertEqual(try store.listRuns().map(\.id), [runId])
        XCTAssertEqual(try store.history(customerId: "A").first?.riskLevel, .high)
        XCTAssertEqual(try store.highRiskIds(runId: runId), ["A"])
    }

    func testOneWriterPerStoreAndUnknownRunsAreRefused() throws {
        let store = try RunStore(path: dbPath)
        let a = try store.beginRun(start())
        let b = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: a, driverNames: driverNames, interventions: actions)
        XCTAssertThrowsError(try store.predictionWriter(runId: b, driverNames: driverNames, interventions: actions))
        XCTAssertThrowsError(try store.predictionWriter(runId: 999, driverNames: driverNames, interventions: actions))
        XCTAssertThrowsError(try writer.append(line: 2, customerId: "A", score: RowScore(
            probability: 0.5, riskScore: 50, riskLevel: .medium, health: 50, drivers: (42, RowScore.noDriver, RowScore.noDriver),
            impacts: (1, 0, 0), intervention: 0)))
        try store.finishRun(a, summaryJSON: "{}", rowsScored: 0, rowsRejected: 0)
        XCTAssertNoThrow(try store.predictionWriter(runId: b, driverNames: driverNames, interventions: actions))
    }

    func testNewerSchemaIsRefusedWithPathInError() throws {
        _ = try RunStore(path: dbPath)
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(dbPath, &db), SQLITE_OK)
        XCTAssertEqual(sqlite3_exec(db, "PRAGMA user_version = 99", nil, nil, nil), SQLITE_OK)
        sqlite3_close(db)
        XCTAssertThrowsError(try RunStore(path: dbPath)) { error in
            let text = String(describing: error)
            XCTAssertTrue(text.contains("99") && text.contains(self.dbPath), text)
        }
        XCTAssertThrowsError(try RunStore(path: directory.appendingPathComponent("missing/dir/x.sqlite").path)) { error in
            XCTAssertTrue(String(describing: error).contains("missing/dir"), String(describing: error))
        }
    }

    private func queryPlan(_ store: RunStore, _ sql: String) throws -> String {
        try store.locked {
            let s = try store.db.prepare("EXPLAIN QUERY PLAN " + sql, "plan")
            var lines: [String] = []
            while try s.step() { lines.append(s.text(3)) }
            return lines.joined(separator: "\n")
        }
    }
}

final class RunStoreConcurrencyTests: XCTestCase {
    func testReadersOnOtherThreadsWhileAWriterWrites() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("churn-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("runs.sqlite").path
        let store = try RunStore(path: path)
        let second = try RunStore(path: path)
        let runId = try store.beginRun(RunStart(inputPath: "c.csv", inputBytes: 1, inputFingerprint: "f", modelHash: "h",
                                                modelPath: "m", rankBy: .risk))
        let writer = try store.predictionWriter(runId: runId, driverNames: ["x"], interventions: ["a"], blockRows: 2_000)
        let done = DispatchSemaphore(value: 0)
        let errors = ErrorBox()
        for reader in [store, second] {
            Thread.detachNewThread {
                defer { done.signal() }
                do {
                    var last = 0
                    for _ in 0..<200 {
                        _ = try reader.listRuns()
                        _ = try reader.history(customerId: "C42")
                        let n = try reader.predictionCount(runId: runId)
                        XCTAssertGreaterThanOrEqual(n, last, "committed rows only grow")
                        last = n
                    }
                } catch {
                    errors.add(error)
                }
            }
        }
        let score = RowScore(probability: 0.8, riskScore: 80, riskLevel: .high, health: 20,
                             drivers: (0, RowScore.noDriver, RowScore.noDriver), impacts: (1, 0, 0), intervention: 0)
        for i in 0..<50_000 { try writer.append(line: UInt64(i + 2), customerId: "C\(i)", score: score) }
        try store.finishRun(runId, summaryJSON: "{}", rowsScored: 50_000, rowsRejected: 0)
        done.wait()
        done.wait()
        XCTAssertTrue(errors.all.isEmpty, "\(errors.all)")
        XCTAssertEqual(try second.predictionCount(runId: runId), 50_000)
        XCTAssertEqual(try second.history(customerId: "C42").count, 1)
    }
}

/// Errors collected from other threads.
private final class ErrorBox: @unchecked Sendable {  // `errors` guarded by `lock`
    private let lock = NSLock()
    private var errors: [Error] = []
    func add(_ e: Error) { lock.lock(); errors.append(e); lock.unlock() }
    var all: [Error] { lock.lock(); defer { lock.unlock() }; return errors }
}
