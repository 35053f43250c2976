import CSQLite
import ChurnCore
import Foundation

/// The history of scoring runs and their predictions, in one SQLite file.
///
/// A run is recorded in three steps: `beginRun` (status `running`), predictions through a
/// `PredictionWriter`, then `finishRun` (status `succeeded`, committed in the same transaction as the
/// last batch of predictions) or `failRun` (status `failed`). Every query about history looks at
/// succeeded runs only, so a run that stops part-way never counts as a result.
///
/// **Failed runs:** `failRun` discards the writer's buffered rows and uncommitted batch, marks the
/// run failed with its error, then deletes the run's predictions already committed. If that deletion
/// cannot complete (the disk is full, say) the run stays failed and its rows stay invisible to every
/// query; `deletePredictionsOfFailedRuns()` removes them later. A run left `running` by a process
/// that died keeps its committed rows (invisible) until someone calls `failRun` on it.
///
/// **Threads:** a `RunStore` owns one connection and serialises all its work with a lock, so one
/// store may be shared by threads; its `PredictionWriter` (used by one thread) takes the same lock
/// once per block of rows it inserts. Only one writer per store at a time. For a reader that must
/// not wait on a long write (a dashboard while a run is being stored), open a second `RunStore` on
/// the same file: in WAL mode readers see the last committed state while a writer writes. Several
/// processes may open the file; writers then queue on SQLite's busy timeout.
///
/// **Indexes:** `(customer_id, run_id)` for history, and `(run_id, customer_id, line, risk_level)`
/// over High-risk rows only for the High-risk queries; a run's rows are found through the
/// `predictions.id` range recorded in its `runs` row. Each index on every row costs about a third
/// of the insert rate, so there is no full `(run_id, risk_level)` index.
public final class RunStore: @unchecked Sendable {  // writer state guarded by `lock` (see below); `db` used under it
    /// The database file.
    public let path: String
    let db: SQLiteConnection
    let lock = NSLock()

    // Guarded by `lock`: the writer in use, the batch transaction it has open (if any), and the
    // predictions.id range its rows occupy so far (recorded in `runs` with every commit).
    weak var writer: PredictionWriter?
    var batchOpen = false
    var batchRows = 0
    var writerRunId: Int64 = 0
    var writerFirstId: Int64?
    var writerLastId: Int64 = 0

    /// Opens the database at `path`, creating it and bringing its schema up to date.
    /// - Parameters:
    ///   - busyTimeoutMilliseconds: how long to wait for another process's write lock before failing.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        self.path = path
        db = try SQLiteConnection(path: path)
        sqlite3_busy_timeout(db.handle, busyTimeoutMilliseconds)
        let mode = try db.scalarText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw StoreError(operation: "open", message: "cannot switch to WAL journal mode (got \(mode ?? "nothing"))", path: path)
        }
        // NORMAL in WAL mode: a power loss may lose the last commits but never corrupts the file.
        // A 64 MiB page cache keeps the upper levels of the customer index hot during big runs.
        try db.execute("PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536",
                       "configure connection")
        try Schema.migrate(db)
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
            try commitBatchLocked()
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

    /// A writer of the predictions of run `runId`, which must be running. One writer per store at a time.
    /// - Parameters:
    ///   - driverNames: the names `RowScore.drivers` index (`CompiledModel.driverNames`).
    ///   - interventions: the texts `RowScore.intervention` indexes (`CompiledModel.actions`).
    ///   - batchSize: rows per transaction.
    public func predictionWriter(runId: Int64, driverNames: [String], interventions: [String],
                                 batchSize: Int = 50_000) throws -> PredictionWriter {
        try locked {
            if let w = writer, !w.isClosed {
                throw StoreError(operation: "open prediction writer for run \(runId)",
                                 message: "run \(w.runId) is still being written; one writer per store at a time", path: path)
            }
            guard try statusLocked(runId) == .running else {
                throw StoreError(operation: "open prediction writer for run \(runId)",
                                 message: "the run does not exist or is not running", path: path)
            }
            let w = try PredictionWriter(store: self, runId: runId, driverNames: driverNames,
                                         interventions: interventions, batchSize: max(1, batchSize))
            writer = w
            writerRunId = runId
            writerFirstId = nil
            writerLastId = 0
            return w
        }
    }

    /// Marks a running run succeeded with its summary. When the run has a writer, its last rows are
    /// committed in the same transaction, so the run is either succeeded with all its rows or not
    /// succeeded at all. The writer is closed afterwards.
    /// - Parameters:
    ///   - summaryJSON: the run's `ScoreAggregate` as JSON (see `RunRecord.summary()`).
    public func finishRun(_ id: Int64, summaryJSON: String, rowsScored: UInt64, rowsRejected: UInt64,
                          finishedAt: Date = Date()) throws {
        try locked {
            let operation = "finish run \(id)"
            let ownWriter = writer.flatMap { $0.runId == id && !$0.isClosed ? $0 : nil }
            let own = ownWriter != nil
            if let w = ownWriter {
                do {
                    guard !w.isBroken else {
                        throw StoreError(operation: operation, message: "an earlier write of its predictions failed; fail the run instead",
                                         path: path)
                    }
                    try w.writePendingLocked()
                } catch {
                    if batchOpen { try? db.execute("ROLLBACK") }
                    batchOpen = false
                    batchRows = 0
                    w.isClosed = true
                    throw error
                }
            } else {
                try commitBatchLocked()
            }
            if !batchOpen { try db.execute("BEGIN IMMEDIATE", operation) }
            batchOpen = false
            batchRows = 0
            do {
                if own { try recordBoundsLocked() }
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
                // Nothing of the last batch nor the status change is kept; the run stays `running`
                // and the caller is expected to fail it.
                try? db.execute("ROLLBACK")
                if own { writer?.isClosed = true }
                throw error
            }
            if own { writer?.isClosed = true }
        }
    }

    /// Marks a run succeeded, storing `summary` as JSON.
    public func finishRun(_ id: Int64, summary: ScoreAggregate, finishedAt: Date = Date()) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let json = String(decoding: try encoder.encode(summary), as: UTF8.self)
        try finishRun(id, summaryJSON: json, rowsScored: summary.rowsScored, rowsRejected: summary.rowsRejected,
                      finishedAt: finishedAt)
    }

    /// Marks a running run failed and deletes its predictions (see the type's documentation).
    /// Failing a run that already failed is allowed; failing a succeeded run throws.
    public func failRun(_ id: Int64, error message: String, finishedAt: Date = Date()) throws {
        try locked {
            let operation = "fail run \(id)"
            if let w = writer, w.runId == id, !w.isClosed {
                w.discardPendingLocked()
                if batchOpen { try? db.execute("ROLLBACK") }
                batchOpen = false
                batchRows = 0
                w.isClosed = true
            } else {
                try commitBatchLocked()
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
            let delete = try db.prepare("""
                DELETE FROM predictions WHERE \(Self.runRange("?1")) AND run_id = ?1
                """, "\(operation): delete predictions")
            delete.bind(1, id)
            try? delete.run()  // best effort: the rows are invisible anyway
        }
    }

    /// Deletes the predictions of every failed run (those `failRun` could not delete); returns how many.
    @discardableResult
    public func deletePredictionsOfFailedRuns() throws -> Int {
        try locked {
            try commitBatchLocked()
            let failed = try db.prepare("SELECT id FROM runs WHERE status = 'failed' AND first_prediction IS NOT NULL",
                                        "delete predictions of failed runs")
            var ids: [Int64] = []
            while try failed.step() { ids.append(failed.int64(0)) }
            let delete = try db.prepare("DELETE FROM predictions WHERE \(Self.runRange("?1")) AND run_id = ?1",
                                        "delete predictions of failed runs")
            var total = 0
            for id in ids {
                delete.bind(1, id)
                try delete.run()
                delete.reset()
                total += db.changes
            }
            return total
        }
    }

    // MARK: Internals

    @inline(__always)
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Commits the writer's open batch (with the run's predictions.id range) so that another write
    /// gets its own transaction.
    func commitBatchLocked() throws {
        guard batchOpen else { return }
        do {
            try recordBoundsLocked()
            try db.execute("COMMIT", "commit predictions")
        } catch {
            // The batch's rows are gone: the writer's run can no longer succeed.
            try? db.execute("ROLLBACK")
            batchOpen = false
            batchRows = 0
            writer?.isBroken = true
            throw error
        }
        batchOpen = false
        batchRows = 0
    }

    /// Stores the writer's predictions.id range in its run, inside the open transaction.
    func recordBoundsLocked() throws {
        guard let first = writerFirstId else { return }
        let s = try db.prepare("UPDATE runs SET first_prediction = ?, last_prediction = ? WHERE id = ?",
                               "record the rows of run \(writerRunId)")
        s.bind(1, first)
        s.bind(2, writerLastId)
        s.bind(3, writerRunId)
        try s.run()
    }

    func statusLocked(_ id: Int64) throws -> RunStatus? {
        let s = try db.prepare("SELECT status FROM runs WHERE id = ?", "read status of run \(id)")
        s.bind(1, id)
        return try s.step() ? RunStatus(rawValue: s.text(0)) : nil
    }
}
