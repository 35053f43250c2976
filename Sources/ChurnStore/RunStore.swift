import CSQLite
import ChurnCore
import ChurnHistoryFormat
import Foundation

/// The history of scoring runs and their predictions, in one SQLite file.
///
/// A run is recorded in three steps: `beginRun` (status `running`), predictions through a
/// `PredictionWriter`, then `finishRun` (status `succeeded`, committed in the same transaction as the
/// last block of predictions) or `failRun` (status `failed`). Every query about history looks at
/// succeeded runs only, so a run that stops part-way never counts as a result.
///
/// **Layout** (schema 2): a run's predictions are stored as column blocks of about `blockRows` rows
/// (`PredictionBlock`), with the run's driver names and interventions as a per-run string
/// dictionary (`run_strings`) and a hashed customer index (`CustomerIndex`). About 25–30 bytes a
/// prediction with ids like `C00012345`; the store inserts one SQLite row per block, not per
/// prediction.
///
/// **Failed runs:** `failRun` discards the writer's buffered rows, marks the run failed with its
/// error, then deletes the run's blocks and index. If that deletion cannot complete (the disk is
/// full, say) the run stays failed and its rows stay invisible to every query;
/// `deletePredictionsOfFailedRuns()` removes them later. A run left `running` by a process that died
/// keeps its committed blocks (invisible) until someone calls `failRun` on it.
///
/// **Threads:** a `RunStore` owns one connection and serialises all its work with a lock, so one
/// store may be shared by threads; its `PredictionWriter` (used by one thread) takes the same lock
/// once per block it writes. Only one writer per store at a time. For a reader that must not wait on
/// a long write (a dashboard while a run is being stored), open a second `RunStore` on the same
/// file: in WAL mode readers see the last committed state while a writer writes. Several processes
/// may open the file; writers then queue on SQLite's busy timeout.
public final class RunStore: @unchecked Sendable {  // connection and writer state guarded by `lock`
    /// The database file.
    public let path: String
    let db: SQLiteConnection
    let lock = NSLock()

    /// Guarded by `lock`: the writer in use.
    weak var writer: PredictionWriter?
    /// Guarded by `lock`: statements prepared once.
    private var statements: [StatementKey: SQLiteStatement] = [:]
    /// Guarded by `lock`: the rows the last row filter kept (`customerPage`).
    var matchCache = CustomerMatchCache()

    enum StatementKey: Hashable {
        case insertBlock
        case insertCodes
        case insertIndex
    }

    /// Opens the database at `path`, creating it and bringing its schema up to date.
    /// - Parameters:
    ///   - busyTimeoutMilliseconds: how long to wait for another process's write lock before failing.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        self.path = path
        db = try SQLiteConnection(path: path)
        sqlite3_busy_timeout(db.handle, busyTimeoutMilliseconds)
        // Blocks are BLOBs of tens of kilobytes: bigger pages mean fewer pages (and WAL frames) per
        // block. Only takes effect on a new, empty file.
        try db.execute("PRAGMA page_size = 65536", "configure page size")
        let mode = try db.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(operation: "open", message: "cannot switch to WAL journal mode (got \(mode ?? "nothing"))", path: path)
        }
        // NORMAL in WAL mode: a power loss may lose the last commits but never corrupts the file.
        // A 4 MiB page cache: blocks are written once and read back whole, so a bigger cache only
        // adds to the memory of a run.
        try db.execute("PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -4096",
                       "configure connection")
        try Schema.migrate(self)
    }

    /// `PRAGMA user_version`: the schema version of the file.
    public var schemaVersion: Int {
        get throws { try locked { Int(try db.scalarInt("PRAGMA user_version")) } }
    }

    /// `PRAGMA journal_mode` as SQLite reports it ("wal").
    public var journalMode: String {
        get throws { try locked { try db.scalarText("PRAGMA journal_mode") ?? "" } }
    }

    // MARK: Writing runs

    /// Records a run that is starting (status `running`) and returns its id.
    public func beginRun(_ start: RunStart) throws -> Int64 {
        try locked {
            let s = try db.prepare("""
                INSERT INTO runs (started_at, status, input_path, input_name, input_bytes, input_fingerprint,
                                  model_hash, model_path, rank_by)
                VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)
                """, "begin run")
            s.bind(1, start.startedAt.timeIntervalSince1970)
            s.bind(2, start.inputPath)
            s.bind(3, start.inputName)
            s.bind(4, start.inputBytes)
            s.bind(5, start.inputFingerprint)
            s.bind(6, start.modelHash)
            s.bind(7, start.modelPath)
            s.bind(8, start.rankBy.rawValue)
            try s.run()
            return db.lastInsertRowID
        }
    }

    /// The default number of rows in a block.
    public static let defaultBlockRows = 16_384

    /// A writer of the predictions of run `runId`, which must be running. One writer per store at a time.
    /// - Parameters:
    ///   - driverNames: the names `RowScore.drivers` index (`CompiledModel.driverNames`); stored with
    ///     the run as its dictionary, so any strings will do.
    ///   - interventions: the texts `RowScore.intervention` indexes (`CompiledModel.actions`).
    ///   - blockRows: rows per block (each block is written and committed when full).
    ///   - comparingWith: a succeeded run whose High-risk customers the writer compares this run's
    ///     against as rows arrive (`PredictionWriter.newlyHigh`).
    public func predictionWriter(runId: Int64, driverNames: [String], interventions: [String],
                                 categories: [CategoryLevels] = [], blockRows: Int = RunStore.defaultBlockRows,
                                 comparingWith previousRunId: Int64? = nil) throws -> PredictionWriter {
        try locked {
            if let w = writer, !w.isClosed {
                throw StoreError(operation: "open prediction writer for run \(runId)",
                                 message: "run \(w.runId) is still being written; one writer per store at a time", path: path)
            }
            guard try statusLocked(runId) == .running else {
                throw StoreError(operation: "open prediction writer for run \(runId)",
                                 message: "the run does not exist or is not running", path: path)
            }
            let w = try PredictionWriter(store: self, runId: runId, driverNames: driverNames, interventions: interventions,
                                         categories: categories, blockRows: max(1, blockRows), comparingWith: previousRunId)
            try db.execute("BEGIN IMMEDIATE", "store the strings of run \(runId)")
            do {
                try insertStringsLocked(runId: runId, driverNames: driverNames, interventions: interventions, categories: categories)
                try db.execute("COMMIT", "store the strings of run \(runId)")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
            writer = w
            return w
        }
    }

    /// Stores a run's driver names (kind 0), interventions (kind 1), categorical feature names
    /// (kind 2, code = feature) and their levels (kind 3, code = feature << 16 | level), replacing any.
    func insertStringsLocked(runId: Int64, driverNames: [String], interventions: [String], categories: [CategoryLevels] = []) throws {
        let delete = try db.prepare("DELETE FROM run_strings WHERE run_id = ?", "store the strings of run \(runId)")
        delete.bind(1, runId)
        try delete.run()
        let s = try db.prepare("INSERT INTO run_strings (run_id, kind, code, text) VALUES (?, ?, ?, ?)",
                               "store the strings of run \(runId)")
        for (kind, list) in [driverNames, interventions].enumerated() {
            for (code, text) in list.enumerated() {
                s.bind(1, runId)
                s.bind(2, kind)
                s.bind(3, code)
                s.bind(4, text)
                try s.run()
                s.reset()
            }
        }
        for (f, feature) in categories.enumerated() {
            var rows = [(kind: 2, code: f, text: feature.feature)]
            rows += feature.levels.enumerated().map { (kind: 3, code: f << 16 | $0.offset, text: $0.element) }
            for row in rows {
                s.bind(1, runId)
                s.bind(2, row.kind)
                s.bind(3, row.code)
                s.bind(4, row.text)
                try s.run()
                s.reset()
            }
        }
    }

    /// Marks a running run succeeded with its summary. When the run has a writer, its last block and
    /// index segment are committed in the same transaction, so the run is either succeeded with all
    /// its rows or not succeeded at all. The writer is closed afterwards.
    /// - Parameters:
    ///   - summaryJSON: the run's summary (see `RunRecord.summaryJSON`).
    public func finishRun(_ id: Int64, summaryJSON: String, rowsScored: UInt64, rowsRejected: UInt64,
                          finishedAt: Date = Date()) throws {
        try locked {
            let operation = "finish run \(id)"
            let ownWriter = writer.flatMap { $0.runId == id && !$0.isClosed ? $0 : nil }
            if let w = ownWriter, w.isBroken {
                w.closeLocked()
                throw StoreError(operation: operation, message: "an earlier write of its predictions failed; fail the run instead",
                                 path: path)
            }
            try db.execute("BEGIN IMMEDIATE", operation)
            do {
                try ownWriter?.writeBlockLocked(final: true)
                let s = try db.prepare("""
                    UPDATE runs SET status = 'succeeded', finished_at = ?, rows_scored = ?, rows_rejected = ?,
                                    summary_json = ?
                    WHERE id = ? AND status = 'running'
                    """, operation)
                s.bind(1, finishedAt.timeIntervalSince1970)
                s.bind(2, Int64(clamping: rowsScored))
                s.bind(3, Int64(clamping: rowsRejected))
                s.bind(4, summaryJSON)
                s.bind(5, id)
                try s.run()
                guard db.changes == 1 else {
                    throw StoreError(operation: operation, message: "the run does not exist or is not running", path: path)
                }
                try db.execute("COMMIT", operation)
            } catch {
                // Nothing of the last block nor the status change is kept; the run stays `running`
                // and the caller is expected to fail it.
                try? db.execute("ROLLBACK")
                ownWriter?.closeLocked()
                throw error
            }
            ownWriter?.closeLocked()
        }
    }

    /// Marks a running run failed and deletes its predictions (see the type's documentation).
    /// Failing a run that already failed is allowed; failing a succeeded run throws.
    public func failRun(_ id: Int64, error message: String, finishedAt: Date = Date()) throws {
        try locked {
            let operation = "fail run \(id)"
            if let w = writer, w.runId == id, !w.isClosed {
                w.discardPendingLocked()
                w.closeLocked()
            }
            let s = try db.prepare("""
                UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'
                """, operation)
            s.bind(1, finishedAt.timeIntervalSince1970)
            s.bind(2, message)
            s.bind(3, id)
            try s.run()
            if db.changes == 0 {
                switch try statusLocked(id) {
                case .failed?: break
                case .succeeded?:
                    throw StoreError(operation: operation, message: "the run already succeeded", path: path)
                case .running?, nil:
                    throw StoreError(operation: operation, message: "no such run", path: path)
                }
            }
            _ = try? deleteRowsLocked(runId: id)  // best effort: the rows are invisible anyway
        }
    }

    /// Deletes the predictions of every failed run (those `failRun` could not delete); returns how many.
    @discardableResult
    public func deletePredictionsOfFailedRuns() throws -> Int {
        try locked {
            let failed = try db.prepare("""
                SELECT id FROM runs WHERE status = 'failed' AND EXISTS (SELECT 1 FROM prediction_blocks WHERE run_id = runs.id)
                """, "delete predictions of failed runs")
            var ids: [Int64] = []
            while try failed.step() { ids.append(failed.int64(0)) }
            var total = 0
            for id in ids { total += try deleteRowsLocked(runId: id) }
            return total
        }
    }

    /// Deletes a run's blocks, index and strings in one transaction; returns the predictions deleted.
    private func deleteRowsLocked(runId: Int64) throws -> Int {
        let operation = "delete predictions of run \(runId)"
        try db.execute("BEGIN IMMEDIATE", operation)
        do {
            let count = try db.prepare("SELECT coalesce(sum(row_count), 0) FROM prediction_blocks WHERE run_id = ?", operation)
            count.bind(1, runId)
            let rows = try count.step() ? Int(count.int64(0)) : 0
            for table in ["prediction_blocks", "prediction_codes", "customer_index", "run_strings"] {
                let d = try db.prepare("DELETE FROM \(table) WHERE run_id = ?", operation)
                d.bind(1, runId)
                try d.run()
            }
            try db.execute("COMMIT", operation)
            return rows
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: Internals

    @inline(__always)
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// A statement prepared once per store. Call with the lock held.
    func statement(_ key: StatementKey) throws -> SQLiteStatement {
        if let s = statements[key] { return s }
        let sql: String
        switch key {
        case .insertBlock:
            sql = """
                INSERT INTO prediction_blocks (run_id, block, first_row, row_count, first_line, low_count, medium_count,
                                               high_count, scores, high_ids, ids, details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        case .insertCodes:
            sql = "INSERT INTO prediction_codes (run_id, block, actions, categories) VALUES (?, ?, ?, ?)"
        case .insertIndex:
            sql = "INSERT INTO customer_index (run_id, bucket, segment, entries) VALUES (?, ?, ?, ?)"
        }
        let s = try db.prepare(sql, "\(key)")
        statements[key] = s
        return s
    }

    func statusLocked(_ id: Int64) throws -> RunStatus? {
        let s = try db.prepare("SELECT status FROM runs WHERE id = ?", "read status of run \(id)")
        s.bind(1, id)
        return try s.step() ? RunStatus(rawValue: s.text(0)) : nil
    }
}
