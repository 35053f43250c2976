import CSQLite
import ChurnCore
import Foundation
import XCTest

@testable import ChurnHistoryFormat
@testable import ChurnStore

/// Schema 3: category codes and intervention codes in `prediction_codes`, the customer page's
/// category filter against a brute-force answer, runs without category data, and schema-2 files.
final class CategoryFilterTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-categories-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private var dbPath: String { directory.appendingPathComponent("runs.sqlite").path }
    private let driverNames = ["open_tickets", "failed_payments", "tenure_months"]
    private let actions = ["Success check-in", "Dedicated support call", "Billing help and grace period"]
    /// One narrow feature, and one with 300 levels (two-byte codes).
    private let features = [
        CategoryLevels(feature: "Contract", levels: ["Month-to-month", "One year", "Two year"]),
        CategoryLevels(feature: "City", levels: (0..<300).map { "city-\($0)" }),
    ]

    private struct Row {
        var id: String
        var line: UInt64
        var score: RowScore
        var codes: [UInt16]
    }

    private func rows(_ n: Int, seed: UInt64) -> [Row] {
        var state = seed
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        return (0..<n).map { i in
            let p = Double(next() % 1000) / 1000
            let level: RiskLevel = p >= 0.7 ? .high : (p >= 0.4 ? .medium : .low)
            let score = RowScore(probability: p, riskScore: UInt8((p * 100).rounded()), riskLevel: level, health: UInt8(next() % 101),
                                 drivers: (UInt16(next() % 3), RowScore.noDriver, RowScore.noDriver), impacts: (0.5, 0, 0),
                                 intervention: UInt16(next() % 3))
            // Codes: a level, or (rarely) blank or unseen.
            let codes = features.map { f -> UInt16 in
                let r = next() % 20
                return UInt16(r == 0 ? f.levels.count : r == 1 ? f.levels.count + 1 : Int(next() % UInt64(min(f.levels.count, 7))))
            }
            return Row(id: String(format: "K%07d", i), line: UInt64(i + 2), score: score, codes: codes)
        }
    }

    /// Writes `rows` as the engine does: chunks encoded with their category codes.
    private func write(_ store: RunStore, _ rows: [Row], categories: Bool, chunk: Int = 250, blockRows: Int = 600) throws -> Int64 {
        let id = try store.beginRun(RunStart(inputPath: "/d/in.csv", inputBytes: 1, inputFingerprint: "f", modelHash: "h",
                                             modelPath: "m", rankBy: .risk))
        let writer = try store.predictionWriter(runId: id, driverNames: driverNames, interventions: actions,
                                                categories: categories ? features : [], blockRows: blockRows)
        for start in stride(from: 0, to: rows.count, by: chunk) {
            let part = rows[start..<min(rows.count, start + chunk)]
            let builder = writer.recording.makeChunk(firstLine: part.first!.line)
            for r in part {
                var id = r.id
                id.withUTF8 { idBytes in
                    let offset = UInt32(r.line - part.first!.line)
                    if categories {
                        r.codes.withUnsafeBufferPointer {
                            builder.append(lineOffset: offset, id: UnsafeRawBufferPointer(idBytes), score: r.score, categoryCodes: $0.baseAddress!)
                        }
                    } else {
                        builder.append(lineOffset: offset, id: UnsafeRawBufferPointer(idBytes), score: r.score)
                    }
                }
            }
            try writer.append(chunk: builder)
        }
        try store.finishRun(id, summaryJSON: "{}", rowsScored: UInt64(rows.count), rowsRejected: 0)
        return id
    }

    func testCategoryFiltersMatchABruteForceAnswer() throws {
        let store = try RunStore(path: dbPath)
        let written = rows(4000, seed: 21)
        let runId = try write(store, written, categories: true)
        XCTAssertEqual(try store.categories(runId: runId), features)

        func label(_ f: Int, _ code: UInt16) -> String { features[f].label(Int(code)) }
        func expected(_ q: CustomerQuery) -> (ids: [String], total: Int) {
            var kept = written.enumerated().filter { (_, r) in
                (q.levels?.contains(r.score.riskLevel) ?? true) && (q.idContains.map { $0.isEmpty || r.id.contains($0) } ?? true)
                    && (q.healthMin.map { Int(r.score.health) >= $0 } ?? true) && (q.healthMax.map { Int(r.score.health) <= $0 } ?? true)
                    && (q.intervention.map { actions[Int(r.score.intervention)] == $0 } ?? true)
                    && q.categories.allSatisfy { feature, value in
                        let f = features.firstIndex { $0.feature == feature }!
                        return label(f, r.codes[f]) == value
                    }
            }
            if q.sort != .inputOrder {
                let descending = q.sort == .probabilityDescending
                kept.sort { a, b in
                    let pa = Float(a.element.score.probability), pb = Float(b.element.score.probability)
                    return pa != pb ? (descending ? pa > pb : pa < pb) : a.offset < b.offset
                }
            }
            return (kept.dropFirst(q.offset).prefix(q.limit).map(\.element.id), kept.count)
        }
        var queries: [CustomerQuery] = []
        let filters: [[String: String]] = [
            ["Contract": "Month-to-month"], ["Contract": "Two year", "City": "city-3"], ["City": "(blank)"],
            ["Contract": "(other)"], ["City": "city-299"], ["Contract": "One year", "City": "(other)"],
        ]
        for (k, categories) in filters.enumerated() {
            for sort in [CustomerQuery.Sort.inputOrder, .probabilityDescending, .probabilityAscending] {
                queries.append(CustomerQuery(runId: runId, categories: categories, sort: sort, offset: k * 7, limit: 40))
                queries.append(CustomerQuery(runId: runId, levels: [.high], healthMin: 20, intervention: actions[k % 3],
                                             categories: categories, sort: sort, offset: 0, limit: 25))
                queries.append(CustomerQuery(runId: runId, levels: [.low, .medium], idContains: "1", healthMax: 80,
                                             categories: categories, sort: sort, offset: 3, limit: 30))
            }
        }
        for keptLimit in [1 << 20, 5] {
            let saved = RunStore.keptLimit
            RunStore.keptLimit = keptLimit
            defer { RunStore.keptLimit = saved }
            for q in queries {
                let page = try store.customerPage(q)
                let want = expected(q)
                XCTAssertEqual(page.rows.map(\.customerId), want.ids, "\(q)")
                XCTAssertEqual(page.totalMatching, want.total, "\(q)")
                for row in page.rows {
                    let r = written[Int(row.line) - 2]
                    XCTAssertEqual(row.categoryValues, features.indices.map { CategoryValue(feature: features[$0].feature, value: label($0, r.codes[$0])) })
                }
            }
            // Paging with offsets through one filter gives the whole answer, once.
            var all: [String] = []
            var offset = 0
            while true {
                let page = try store.customerPage(CustomerQuery(runId: runId, categories: ["Contract": "Month-to-month"],
                                                                sort: .probabilityDescending, offset: offset, limit: 97))
                all += page.rows.map(\.customerId)
                offset += page.rows.count
                if page.rows.isEmpty { break }
            }
            XCTAssertEqual(all, expected(CustomerQuery(runId: runId, categories: ["Contract": "Month-to-month"],
                                                       sort: .probabilityDescending, offset: 0, limit: 100_000)).ids)
        }
        // Unknown features and values are named.
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: runId, categories: ["Colour": "red"]))) {
            XCTAssertTrue("\($0)".contains("Colour"), "\($0)")
        }
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: runId, categories: ["Contract": "Forever"]))) {
            XCTAssertTrue("\($0)".contains("Forever"), "\($0)")
        }
    }

    func testARunWithoutCategoryDataSaysSo() throws {
        let store = try RunStore(path: dbPath)
        let written = rows(700, seed: 22)
        let runId = try write(store, written, categories: false)
        XCTAssertEqual(try store.categories(runId: runId), [])
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: runId, categories: ["Contract": "One year"]))) {
            XCTAssertTrue("\($0)".contains("category filtering is not available"), "\($0)")
        }
        // Everything else still works, and reads the intervention codes from their own column.
        let page = try store.customerPage(CustomerQuery(runId: runId, intervention: actions[1], offset: 0, limit: 1000))
        XCTAssertEqual(page.rows.map(\.customerId), written.filter { $0.score.intervention == 1 }.map(\.id))
        XCTAssertTrue(page.rows.allSatisfy { $0.categoryValues.isEmpty })
        try store.locked {
            XCTAssertEqual(try store.db.scalarInt("SELECT count(*) FROM prediction_codes WHERE run_id = \(runId) AND categories IS NULL"),
                           try store.db.scalarInt("SELECT count(*) FROM prediction_blocks WHERE run_id = \(runId)"))
        }
        // A chunk without codes makes its block record none, even in a run that records them.
        let mixed = rows(300, seed: 23)
        let id = try store.beginRun(RunStart(inputPath: "/d/in.csv", inputBytes: 1, inputFingerprint: "f", modelHash: "h",
                                             modelPath: "m", rankBy: .risk))
        let writer = try store.predictionWriter(runId: id, driverNames: driverNames, interventions: actions, categories: features)
        let builder = writer.recording.makeChunk(firstLine: 2)
        var cid = mixed[0].id
        cid.withUTF8 { builder.append(lineOffset: 0, id: UnsafeRawBufferPointer($0), score: mixed[0].score) }
        XCTAssertFalse(builder.hasCategories)
        try writer.append(chunk: builder)
        try store.finishRun(id, summaryJSON: "{}", rowsScored: 1, rowsRejected: 0)
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: id, categories: ["Contract": "One year"])))
    }

    /// A schema-2 file (intervention codes at the end of `details`, no `prediction_codes`) opens,
    /// migrates to 3 and answers every query, the intervention filter included.
    func testSchemaTwoFileIsMigratedAndStillAnswers() throws {
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
        exec(Schema.migrations[1].before)
        exec(Schema.migrations[1].after)
        exec("PRAGMA user_version = 2")
        exec("""
            INSERT INTO runs (id, started_at, finished_at, status, input_path, input_name, input_bytes, input_fingerprint,
                              model_hash, model_path, rank_by, rows_scored, rows_rejected, summary_json)
            VALUES (1, 1700000000, 1700000010, 'succeeded', '/d/in.csv', 'in.csv', 1, 'f', 'h', 'm', 'risk', 500, 0, '{}')
            """)
        for (kind, list) in [driverNames, actions].enumerated() {
            for (code, text) in list.enumerated() { exec("INSERT INTO run_strings VALUES (1, \(kind), \(code), '\(text)')") }
        }
        // Two blocks laid out as schema 2 wrote them.
        let written = rows(500, seed: 24)
        for (b, part) in [written[0..<300], written[300...]].enumerated() {
            let builder = PredictionBlockBuilder(driverNames: driverNames.count, interventions: actions.count)
            for r in part {
                var id = r.id
                id.withUTF8 {
                    builder.append(line: r.line, id: UnsafeRawBufferPointer($0), probability: r.score.probability,
                                   riskScore: r.score.riskScore, level: r.score.riskLevel.rawValue, health: r.score.health,
                                   drivers: r.score.drivers, impacts: r.score.impacts, intervention: r.score.intervention, categoryCodes: nil)
                }
            }
            builder.seal(actionsInDetails: true)
            var statement: OpaquePointer?
            XCTAssertEqual(sqlite3_prepare_v2(db, """
                INSERT INTO prediction_blocks (run_id, block, first_row, row_count, first_line, low_count, medium_count, high_count,
                                               scores, high_ids, ids, details) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, -1, &statement, nil), SQLITE_OK)
            sqlite3_bind_int64(statement, 1, Int64(b))
            sqlite3_bind_int64(statement, 2, Int64(b * 300))
            sqlite3_bind_int64(statement, 3, Int64(builder.rowCount))
            sqlite3_bind_int64(statement, 4, Int64(builder.firstLine))
            sqlite3_bind_int64(statement, 5, Int64(builder.levelCounts.low))
            sqlite3_bind_int64(statement, 6, Int64(builder.levelCounts.medium))
            sqlite3_bind_int64(statement, 7, Int64(builder.levelCounts.high))
            for (i, sink) in [builder.scores, builder.highIds, builder.ids, builder.details].enumerated() {
                sqlite3_bind_blob(statement, Int32(8 + i), sink.bytes.baseAddress, Int32(sink.count), nil)
            }
            XCTAssertEqual(sqlite3_step(statement), SQLITE_DONE)
            sqlite3_finalize(statement)
        }
        exec("COMMIT")
        sqlite3_close(db)

        let store = try RunStore(path: dbPath)
        XCTAssertEqual(try store.schemaVersion, 3)
        XCTAssertEqual(try store.categories(runId: 1), [])
        let all = try store.customerPage(CustomerQuery(runId: 1, offset: 0, limit: 1000))
        XCTAssertEqual(all.rows.map(\.customerId), written.map(\.id))
        XCTAssertEqual(all.rows.map(\.intervention), written.map { actions[Int($0.score.intervention)] })
        let filtered = try store.customerPage(CustomerQuery(runId: 1, intervention: actions[2], sort: .probabilityDescending,
                                                            offset: 0, limit: 1000))
        XCTAssertEqual(Set(filtered.rows.map(\.customerId)), Set(written.filter { $0.score.intervention == 2 }.map(\.id)))
        XCTAssertThrowsError(try store.customerPage(CustomerQuery(runId: 1, categories: ["Contract": "One year"]))) {
            XCTAssertTrue("\($0)".contains("not available"), "\($0)")
        }
        // A new run next to it records its codes.
        let next = try write(store, rows(100, seed: 25), categories: true)
        XCTAssertEqual(try store.categories(runId: next), features)
    }
}
