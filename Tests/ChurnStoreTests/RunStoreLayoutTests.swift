import CSQLite
import ChurnCore
import Foundation
import XCTest

@testable import ChurnHistoryFormat
@testable import ChurnStore

/// The block layout of schema 2: its size, the customer index across blocks and segments, the
/// dashboard's page queries, newly-High as rows arrive, and the migration of schema-1 files.
final class RunStoreLayoutTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-layout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private var dbPath: String { directory.appendingPathComponent("runs.sqlite").path }
    private let driverNames = ["open_tickets", "failed_payments", "usage_drop_pct (rising)", "tenure_months", "segment=small-business"]
    private let actions = ["Success check-in", "Dedicated support call", "Billing help and grace period"]

    private func start(_ name: String = "customers.csv") -> RunStart {
        RunStart(inputPath: "/data/\(name)", inputBytes: 1, inputFingerprint: "f", modelHash: "h", modelPath: "m", rankBy: .risk)
    }

    /// A deterministic pseudo-random customer row i of a run with `seed`.
    private struct Row {
        var id: String
        var line: UInt64
        var score: RowScore
    }

    private func rows(_ n: Int, seed: UInt64, skipEvery: Int = 0) -> [Row] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        var out: [Row] = []
        var line: UInt64 = 2
        for i in 0..<n {
            // Few distinct probabilities, so ties (broken by input order) are common.
            let p = Double(next() % 2000) / 2000
            let level: RiskLevel = p >= 0.7 ? .high : (p >= 0.4 ? .medium : .low)
            let d0 = UInt16(next() % 5)
            let hasSecond = next() % 3 != 0
            let score = RowScore(probability: p, riskScore: UInt8((p * 100).rounded()), riskLevel: level,
                                 health: UInt8(next() % 101),
                                 drivers: (d0, hasSecond ? UInt16((d0 + 1) % 5) : RowScore.noDriver, RowScore.noDriver),
                                 impacts: (Float(next() % 5000) / 1000, hasSecond ? 0.125 : 0, 0),
                                 intervention: UInt16(next() % 3))
            out.append(Row(id: String(format: "C%08d", i), line: line, score: score))
            line += (skipEvery > 0 && i % skipEvery == 0) ? 3 : 1
        }
        return out
    }

    @discardableResult
    private func store(_ store: RunStore, _ rows: [Row], name: String = "customers.csv", blockRows: Int = RunStore.defaultBlockRows,
                       comparingWith previous: Int64? = nil) throws -> (Int64, [String]) {
        let id = try store.beginRun(start(name))
        let writer = try store.predictionWriter(runId: id, driverNames: driverNames, interventions: actions, blockRows: blockRows,
                                                comparingWith: previous)
        for r in rows { try writer.append(line: r.line, customerId: r.id, score: r.score) }
        try store.finishRun(id, summaryJSON: "{}", rowsScored: UInt64(rows.count), rowsRejected: 0)
        return (id, writer.newlyHigh)
    }

    private func usedBytes(_ store: RunStore) throws -> Int64 {
        try store.locked {
            try store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            let pages = try store.db.scalarInt("PRAGMA page_count") - store.db.scalarInt("PRAGMA freelist_count")
            return pages * (try store.db.scalarInt("PRAGMA page_size"))
        }
    }

    func testAPredictionCostsAtMost40BytesOfDatabase() throws {
        let store = try RunStore(path: dbPath)
        let before = try usedBytes(store)
        let n = 100_000
        try self.store(store, rows(n, seed: 1))
        let perPrediction = Double(try usedBytes(store) - before) / Double(n)
        print(String(format: "history: %.1f bytes per prediction", perPrediction))
        XCTAssertLessThanOrEqual(perPrediction, 40)
        XCTAssertGreaterThan(perPrediction, 5, "the rows are really stored")
    }

    func testEveryRowReadsBackAsWrittenAcrossBlocksAndSegments() throws {
        let store = try RunStore(path: dbPath)
        // 7-row blocks: 143 blocks, three index segments; lines with gaps in some blocks.
        let written = rows(1000, seed: 2, skipEvery: 97)
        let (runId, _) = try self.store(store, written, blockRows: 7)
        XCTAssertEqual(try store.predictionCount(runId: runId), 1000)
        let page = try store.customerPage(CustomerQuery(runId: runId, offset: 0, limit: 1000))
        XCTAssertEqual(page.totalMatching, 1000)
        XCTAssertEqual(page.rows.count, 1000)
        for (r, got) in zip(written, page.rows) {
            XCTAssertEqual(got.customerId, r.id)
            XCTAssertEqual(got.line, r.line)
            XCTAssertEqual(got.probability, r.score.probability, accuracy: 1e-7)
            XCTAssertEqual(got.riskScore, Int(r.score.riskScore))
            XCTAssertEqual(got.riskLevel, r.score.riskLevel)
            XCTAssertEqual(got.health, Int(r.score.health))
            XCTAssertEqual(got.intervention, actions[Int(r.score.intervention)])
            let expected = r.score.driverList.map { DriverImpact(name: driverNames[Int($0.index)], impact: (Double($0.impact) * 1000).rounded() / 1000) }
            XCTAssertEqual(got.drivers.map(\.name), expected.map(\.name))
            for (a, b) in zip(got.drivers, expected) { XCTAssertEqual(a.impact, b.impact, accuracy: 1e-9) }
        }
        // Every customer is found through the index, in whichever block and segment it lies.
        for i in stride(from: 0, to: 1000, by: 37) {
            let h = try store.history(customerId: written[i].id)
            XCTAssertEqual(h.map(\.line), [written[i].line], written[i].id)
        }
        XCTAssertTrue(try store.history(customerId: "C99999999").isEmpty)
        XCTAssertTrue(try store.history(customerId: "").isEmpty)
    }

    func testHistoryListsEveryScoreNewestRunFirstWithRepeatsInLineOrder() throws {
        let store = try RunStore(path: dbPath)
        var first = rows(300, seed: 3)
        first[250].id = first[10].id  // the same customer twice in one run
        let (a, _) = try self.store(store, first, blockRows: 16)
        let (b, _) = try self.store(store, rows(300, seed: 4), name: "other.csv", blockRows: 16)
        let failed = try store.beginRun(start())
        let w = try store.predictionWriter(runId: failed, driverNames: driverNames, interventions: actions, blockRows: 16)
        for r in rows(100, seed: 5) { try w.append(line: r.line, customerId: r.id, score: r.score) }
        try store.failRun(failed, error: "stopped")

        let h = try store.history(customerId: first[10].id)
        XCTAssertEqual(h.map(\.runId), [b, a, a])
        XCTAssertEqual(h.map(\.line), [12, 12, 252])
        XCTAssertEqual(h.map(\.inputName), ["other.csv", "customers.csv", "customers.csv"])
        XCTAssertEqual(try store.history(customerId: first[10].id, limit: 2).count, 2)
    }

    func testPagesMatchABruteForceAnswer() throws {
        let store = try RunStore(path: dbPath)
        let written = rows(5000, seed: 6)
        let (runId, _) = try self.store(store, written, blockRows: 300)

        func expected(_ q: CustomerQuery) -> (ids: [String], total: Int) {
            var kept = written.enumerated().filter { (_, r) in
                (q.levels?.contains(r.score.riskLevel) ?? true) && (q.idContains.map { $0.isEmpty || r.id.contains($0) } ?? true)
                    && (q.healthMin.map { Int(r.score.health) >= $0 } ?? true) && (q.healthMax.map { Int(r.score.health) <= $0 } ?? true)
                    && (q.intervention.map { actions[Int(r.score.intervention)] == $0 } ?? true)
            }
            switch q.sort {
            case .inputOrder: break
            case .probabilityDescending:
                kept.sort { Float($0.element.score.probability) != Float($1.element.score.probability)
                    ? Float($0.element.score.probability) > Float($1.element.score.probability) : $0.offset < $1.offset }
            case .probabilityAscending:
                kept.sort { Float($0.element.score.probability) != Float($1.element.score.probability)
                    ? Float($0.element.score.probability) < Float($1.element.score.probability) : $0.offset < $1.offset }
            }
            let page = kept.dropFirst(q.offset).prefix(q.limit).map(\.element.id)
            return (Array(page), kept.count)
        }
        let queries: [CustomerQuery] = [
            CustomerQuery(runId: runId, offset: 0, limit: 25),
            CustomerQuery(runId: runId, offset: 4990, limit: 25),
            CustomerQuery(runId: runId, offset: 6000, limit: 25),
            CustomerQuery(runId: runId, levels: [.high], offset: 333, limit: 50),
            CustomerQuery(runId: runId, levels: [.low, .medium], offset: 1234, limit: 40),
            CustomerQuery(runId: runId, sort: .probabilityDescending, offset: 0, limit: 50),
            CustomerQuery(runId: runId, sort: .probabilityDescending, offset: 2017, limit: 60),
            CustomerQuery(runId: runId, levels: [.medium], sort: .probabilityDescending, offset: 100, limit: 30),
            CustomerQuery(runId: runId, sort: .probabilityAscending, offset: 4980, limit: 50),
            CustomerQuery(runId: runId, idContains: "0012", offset: 0, limit: 100),
            CustomerQuery(runId: runId, levels: [.high], idContains: "3", sort: .probabilityDescending, offset: 10, limit: 20),
            CustomerQuery(runId: runId, idContains: "C00004999", offset: 0, limit: 5),
            CustomerQuery(runId: runId, idContains: "nobody", offset: 0, limit: 5),
            CustomerQuery(runId: runId, levels: [], offset: 0, limit: 5),
            CustomerQuery(runId: runId, healthMin: 40, healthMax: 60, offset: 100, limit: 50),
            CustomerQuery(runId: runId, healthMax: 10, sort: .probabilityDescending, offset: 5, limit: 40),
            CustomerQuery(runId: runId, healthMin: 90, sort: .probabilityAscending, offset: 0, limit: 30),
            CustomerQuery(runId: runId, healthMin: 70, healthMax: 20, offset: 0, limit: 5),
            CustomerQuery(runId: runId, intervention: actions[1], offset: 700, limit: 50),
            CustomerQuery(runId: runId, intervention: actions[2], sort: .probabilityDescending, offset: 20, limit: 25),
            CustomerQuery(runId: runId, intervention: "No such offer", offset: 0, limit: 5),
            CustomerQuery(runId: runId, levels: [.high, .medium], idContains: "1", healthMin: 20, healthMax: 80,
                          intervention: actions[0], sort: .probabilityDescending, offset: 3, limit: 30),
        ]
        // Row filters in one pass (and their rows kept for the next page), and in two when they keep
        // too many rows; sorts without row filters in one pass near the front, and in two.
        for keptLimit in [1 << 20, 7] {
            let saved = (RunStore.keptLimit, RunStore.frontLimit, RunStore.frontSlack)
            RunStore.keptLimit = keptLimit
            RunStore.frontLimit = keptLimit == 7 ? 0 : 100_000
            RunStore.frontSlack = 0  // drop rows past the front as often as possible
            defer { (RunStore.keptLimit, RunStore.frontLimit, RunStore.frontSlack) = saved }
            for q in queries {
                let page = try store.customerPage(q)
                let want = expected(q)
                XCTAssertEqual(page.rows.map(\.customerId), want.ids, "\(q)")
                XCTAssertEqual(page.totalMatching, want.total, "\(q)")
            }
        }
        XCTAssertEqual(try store.predictions(runId: runId, level: .high, limit: 3, offset: 1).map(\.customerId),
                       expected(CustomerQuery(runId: runId, levels: [.high], offset: 1, limit: 3)).ids)
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: 999)))
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: runId, offset: -1)))
    }

    func testScoreChangesMatchABruteForceAnswer() throws {
        let store = try RunStore(path: dbPath)
        var old = rows(3000, seed: 7)
        old.removeLast(200)  // 200 customers new in the second run
        old[5].id = old[6].id  // a repeated id counts by its first row
        var new = rows(3000, seed: 8)
        new.removeFirst(100)  // 100 customers gone
        new[40].id = new[41].id
        new[2800].id = new[2801].id  // a repeated id among the new customers counts once too
        new[500..<700].reverse()  // customers out of the previous run's order
        XCTAssertNil(try store.scoreChanges(runId: try self.store(store, old, blockRows: 128).0))
        try self.store(store, rows(10, seed: 9), name: "other.csv")  // another input: not compared
        let (runId, _) = try self.store(store, new, blockRows: 128)
        let c = try XCTUnwrap(try store.scoreChanges(runId: runId, top: 7))

        var before: [String: RowScore] = [:]
        for r in old where before[r.id] == nil { before[r.id] = r.score }
        var seen = Set<String>()
        var changes: [(id: String, change: Double, order: Int)] = []
        var added = 0, newlyHigh = 0
        for r in new where seen.insert(r.id).inserted {
            let b = before[r.id]
            if r.score.riskLevel == .high && b?.riskLevel != .high { newlyHigh += 1 }
            guard let b else { added += 1; continue }
            changes.append((r.id, Double(Float(r.score.probability)) - Double(Float(b.probability)), changes.count))
        }
        let down = changes.filter { $0.change < 0 }, up = changes.filter { $0.change > 0 }
        XCTAssertEqual(c.previousRunId, 1)
        XCTAssertEqual(c.matched, changes.count)
        XCTAssertEqual(c.added, added)
        XCTAssertEqual(c.added, 199)  // C00002800–C00002999, one of them twice
        XCTAssertEqual(c.newlyHigh, newlyHigh)
        XCTAssertEqual(c.improved, down.count)
        XCTAssertEqual(c.worsened, up.count)
        XCTAssertEqual(c.meanImprovement, down.map(\.change).reduce(0, +) / Double(down.count), accuracy: 1e-9)
        XCTAssertEqual(c.meanWorsening, up.map(\.change).reduce(0, +) / Double(up.count), accuracy: 1e-9)
        XCTAssertEqual(c.meanChange, changes.map(\.change).reduce(0, +) / Double(changes.count), accuracy: 1e-9)
        let movers = changes.filter { $0.change != 0 }
            .sorted { abs($0.change) != abs($1.change) ? abs($0.change) > abs($1.change) : $0.order < $1.order }.prefix(7)
        XCTAssertEqual(c.topMovers.map(\.customerId), movers.map(\.id))
        XCTAssertEqual(c.topMovers.map(\.change), movers.map(\.change))
        XCTAssertEqual(try store.scoreChanges(runId: runId, previousRunId: runId).matched, 3000 - 100 - 2)  // two ids repeated
        XCTAssertEqual(try store.scoreChanges(runId: runId, previousRunId: runId).topMovers, [])
    }

    func testNewlyHighAsRowsArriveEqualsTheQueryAndIsExact() throws {
        let store = try RunStore(path: dbPath)
        let week1 = rows(3000, seed: 7)
        var week2 = rows(3000, seed: 8)
        week2.append(week2[5])  // a repeated customer is listed once
        let (first, none) = try self.store(store, week1, blockRows: 100)
        XCTAssertEqual(none, [], "no comparison asked for")
        let (second, newly) = try self.store(store, week2, blockRows: 100, comparingWith: first)

        let wasHigh = Set(week1.filter { $0.score.riskLevel == .high }.map(\.id))
        var seen = Set<String>()
        let expected = week2.filter { $0.score.riskLevel == .high && !wasHigh.contains($0.id) && seen.insert($0.id).inserted }.map(\.id)
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(newly, expected)
        XCTAssertEqual(try store.newlyHighRisk(runId: second, previousRunId: first), expected)
        XCTAssertEqual(try store.highRiskIds(runId: first), week1.filter { $0.score.riskLevel == .high }.map(\.id))
    }

    func testChunksEncodedElsewhereAreMergedOrTakenWholeAndReadBackExactly() throws {
        let store = try RunStore(path: dbPath)
        let (first, _) = try self.store(store, rows(2000, seed: 9))
        let written = rows(2000, seed: 10, skipEvery: 13)
        let runId = try store.beginRun(start())
        let writer = try store.predictionWriter(runId: runId, driverNames: driverNames, interventions: actions, blockRows: 200,
                                                comparingWith: first)
        // Chunks of 7 rows (merged into blocks), then of 150 and 400 rows (each taken as a block).
        var at = 0
        for size in [Int](repeating: 7, count: 100) + [150, 400, 150, 400] + [Int](repeating: 50, count: 100) where at < written.count {
            let rows = written[at..<min(written.count, at + size)]
            let chunk = writer.recording.makeChunk(firstLine: rows.first!.line)
            for r in rows {
                var id = r.id
                id.withUTF8 { chunk.append(lineOffset: UInt32(r.line - rows.first!.line), id: UnsafeRawBufferPointer($0), score: r.score) }
            }
            try writer.append(chunk: chunk)
            at += size
        }
        XCTAssertEqual(at >= written.count, true)
        try store.finishRun(runId, summaryJSON: "{}", rowsScored: 2000, rowsRejected: 0)

        let page = try store.customerPage(CustomerQuery(runId: runId, offset: 0, limit: 2000))
        XCTAssertEqual(page.rows.map(\.customerId), written.map(\.id))
        XCTAssertEqual(page.rows.map(\.line), written.map(\.line))
        XCTAssertEqual(page.rows.map(\.riskLevel), written.map(\.score.riskLevel))
        XCTAssertEqual(page.rows.map(\.health), written.map { Int($0.score.health) })
        for i in stride(from: 3, to: 2000, by: 101) {
            XCTAssertEqual(try store.history(customerId: written[i].id).first?.line, written[i].line)
        }
        XCTAssertEqual(writer.newlyHigh, try store.newlyHighRisk(runId: runId, previousRunId: first))
        XCTAssertFalse(writer.newlyHigh.isEmpty)
    }

    func testIdSearchFindsMatchesInSharedPrefixesAndAcrossThem() throws {
        let store = try RunStore(path: dbPath)
        let ids = ["abcab", "abcabc", "abcabd", "abd", "xabc", "xabd", "abcx", "abcx", "", "bcab", "ab", "abc"]
        var template = rows(ids.count, seed: 11)
        for i in ids.indices { template[i].id = ids[i] }
        let (runId, _) = try self.store(store, template, blockRows: 5)
        for needle in ["abc", "bca", "cab", "bcx", "abd", "x", "ab", "c", "abcabc", "zz"] {
            let page = try store.customerPage(CustomerQuery(runId: runId, idContains: needle, offset: 0, limit: 100))
            XCTAssertEqual(page.rows.map(\.customerId), ids.filter { $0.contains(needle) }, needle)
        }
    }

    /// The id hash is stored in every customer index: it must never change.
    func testTheIdHashIsStable() {
        XCTAssertNotEqual(CustomerIndex.hash(""), CustomerIndex.hash("a"))
        XCTAssertEqual(String(CustomerIndex.hash("C00012345"), radix: 16), "89fbd7fe56da0475")
        XCTAssertEqual(String(CustomerIndex.hash("a-much-longer-customer-identifier@example.com"), radix: 16), "97c6fbc546620a43")
        XCTAssertNotEqual(CustomerIndex.hash("C00012345"), CustomerIndex.hash("C00012346"))
    }

    /// A schema-1 file as the old code wrote it: one row per prediction, predictions.id ranges in runs.
    func testSchemaOneFileIsMigratedForward() throws {
        var db: OpaquePointer?
        XCTAssertEqual(sqlite3_open(dbPath, &db), SQLITE_OK)
        func exec(_ sql: String) {
            var message: UnsafeMutablePointer<CChar>?
            let rc = sqlite3_exec(db, sql, nil, nil, &message)
            XCTAssertEqual(rc, SQLITE_OK, message.map { String(cString: $0) } ?? sql)
        }
        exec("PRAGMA journal_mode = WAL")
        exec("BEGIN")
        exec(Schema.migrations[0].before)
        exec("PRAGMA user_version = 1")
        exec("""
            INSERT INTO runs VALUES
              (1, 1700000000, 1700000010, 'succeeded', NULL, '/d/customers.csv', 'customers.csv', 10, 'f', 'h', 'm', 'combined', 3, 0, '{}', 1, 3),
              (2, 1700000100, 1700000110, 'failed', 'worker lost', '/d/customers.csv', 'customers.csv', 10, 'f', 'h', 'm', 'combined', NULL, NULL, NULL, 4, 4),
              (3, 1700000200, 1700000210, 'succeeded', NULL, '/d/customers.csv', 'customers.csv', 10, 'f', 'h', 'm', 'risk', 3, 1, '{}', 5, 7);
            INSERT INTO predictions VALUES
              (1, 1, 2, 'A', 0.91, 91, 2, 10, 'open_tickets', 2.5, 'mrr', 0.25, NULL, NULL, 'Dedicated support call'),
              (2, 1, 3, 'B', 0.5, 50, 1, 40, 'mrr', 1.125, NULL, NULL, NULL, NULL, 'Success check-in'),
              (3, 1, 4, 'C', 0.1, 10, 0, 90, NULL, NULL, NULL, NULL, NULL, NULL, 'Success check-in'),
              (4, 2, 2, 'A', 0.2, 20, 0, 80, NULL, NULL, NULL, NULL, NULL, NULL, 'Success check-in'),
              (5, 3, 2, 'A', 0.95, 95, 2, 5, 'segment=small-business', 3.0, 'open_tickets', 2.0, 'mrr', 1.0, 'Dedicated support call'),
              (6, 3, 3, 'B', 0.8, 80, 2, 30, 'mrr', 1.5, NULL, NULL, NULL, NULL, 'Billing help'),
              (7, 3, 5, 'C', 0.3, 30, 0, 70, NULL, NULL, NULL, NULL, NULL, NULL, 'Success check-in');
            """)
        exec("COMMIT")
        sqlite3_close(db)

        let store = try RunStore(path: dbPath)
        XCTAssertEqual(try store.schemaVersion, Schema.currentVersion)
        XCTAssertEqual(try store.listRuns().map(\.status), [.succeeded, .failed, .succeeded])
        XCTAssertEqual(try store.run(id: 2)?.error, "worker lost")
        XCTAssertEqual(try store.predictionCount(runId: 1), 3)
        XCTAssertEqual(try store.predictionCount(runId: 2), 0, "a failed run's rows are not carried over")
        XCTAssertEqual(try store.predictionCount(runId: 3), 3)

        let a = try store.history(customerId: "A")
        XCTAssertEqual(a.map(\.runId), [3, 1])
        XCTAssertEqual(a[0].drivers, [DriverImpact(name: "segment=small-business", impact: 3), DriverImpact(name: "open_tickets", impact: 2),
                                      DriverImpact(name: "mrr", impact: 1)])
        XCTAssertEqual(a[0].probability, 0.95, accuracy: 1e-7)
        XCTAssertEqual(a[0].riskScore, 95)
        XCTAssertEqual(a[0].health, 5)
        XCTAssertEqual(a[0].intervention, "Dedicated support call")
        XCTAssertEqual(a[1].drivers, [DriverImpact(name: "open_tickets", impact: 2.5), DriverImpact(name: "mrr", impact: 0.25)])
        XCTAssertEqual(a[1].runStartedAt, Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertEqual(try store.history(customerId: "C").map(\.line), [5, 4])
        XCTAssertEqual(try store.history(customerId: "B").first?.intervention, "Billing help")
        XCTAssertEqual(try store.newlyHighRisk(runId: 3, previousRunId: 1), ["B"])
        let page = try store.customerPage(CustomerQuery(runId: 3, sort: .probabilityDescending))
        XCTAssertEqual(page.rows.map(\.customerId), ["A", "B", "C"])

        // The old table is gone, and new runs are written in the new layout next to the converted ones.
        try store.locked {
            XCTAssertEqual(try store.db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name IN ('predictions', 'prediction_details')"), 0)
        }
        let (next, newly) = try self.store(store, [Row(id: "C", line: 2, score: RowScore(
            probability: 0.9, riskScore: 90, riskLevel: .high, health: 1, drivers: (0, RowScore.noDriver, RowScore.noDriver),
            impacts: (1, 0, 0), intervention: 0))], comparingWith: 3)
        XCTAssertEqual(newly, ["C"])
        XCTAssertEqual(try store.history(customerId: "C").map(\.runId), [next, 3, 1])
    }
}
