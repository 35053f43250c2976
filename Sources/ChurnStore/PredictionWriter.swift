import CSQLite
import ChurnCore
import Foundation

/// Writes one run's predictions fast.
///
/// Rows are buffered `rowsPerInsert` at a time and inserted by one multi-row INSERT prepared once
/// (about 40% faster than a row per statement); a transaction is committed every `batchSize` rows;
/// driver and intervention names are bound from C strings made once, so no String is created per row.
///
/// Get one from `RunStore.predictionWriter(runId:driverNames:interventions:batchSize:)`; end it with
/// `RunStore.finishRun` (which writes the last rows and marks the run succeeded in one transaction)
/// or `RunStore.failRun`. Use it from one thread at a time; `append` takes the store's lock only
/// when it writes a block. A writer dropped without either commits what it has; its run stays
/// `running` and so invisible to history queries.
public final class PredictionWriter {
    /// Rows in one INSERT statement.
    public static let rowsPerInsert = 32
    private static let columns: Int32 = 14

    /// The run the rows belong to.
    public let runId: Int64
    /// Rows per transaction: a commit follows the first block of `rowsPerInsert` rows that brings
    /// the transaction to this size.
    public let batchSize: Int
    /// Rows appended so far (written or still buffered).
    public private(set) var rowsWritten: UInt64 = 0

    let store: RunStore
    private let blockInsert: SQLiteStatement
    private let rowInsert: SQLiteStatement
    // C strings bound with SQLITE_STATIC: owned here, unbound from the statements before they are freed.
    private let driverCStrings: [UnsafeMutablePointer<CChar>]
    private let driverLengths: [Int32]
    private let interventionCStrings: [UnsafeMutablePointer<CChar>]
    private let interventionLengths: [Int32]
    private let emptyCString: UnsafeMutablePointer<CChar>

    /// Rows appended but not yet inserted, and their customer ids' bytes.
    private struct PendingRow {
        var line: Int64
        var probability: Double
        var riskScore: Int64
        var riskLevel: Int64
        var health: Int64
        var drivers: (UInt16, UInt16, UInt16)
        var impacts: (Float, Float, Float)
        var intervention: UInt16
        var idOffset: Int
        var idLength: Int
    }
    private let pending: UnsafeMutablePointer<PendingRow>
    private var pendingCount = 0
    private var idBytes: UnsafeMutablePointer<UInt8>
    private var idCapacity = 4096
    private var idUsed = 0

    /// Set by the store (under its lock) when the run is finished or failed.
    var isClosed = false
    /// Set when rows were lost to a failed insert or commit: the run can then only fail.
    var isBroken = false

    init(store: RunStore, runId: Int64, driverNames: [String], interventions: [String], batchSize: Int) throws {
        self.store = store
        self.runId = runId
        self.batchSize = batchSize
        let columns = "run_id, line, customer_id, probability, risk_score, risk_level, health, driver_1, impact_1, "
            + "driver_2, impact_2, driver_3, impact_3, intervention"
        let tuple = "(" + Array(repeating: "?", count: Int(Self.columns)).joined(separator: ",") + ")"
        let operation = "insert predictions of run \(runId)"
        blockInsert = try store.db.prepare(
            "INSERT INTO predictions (\(columns)) VALUES "
                + Array(repeating: tuple, count: Self.rowsPerInsert).joined(separator: ","), operation)
        rowInsert = try store.db.prepare("INSERT INTO predictions (\(columns)) VALUES \(tuple)", operation)
        driverCStrings = driverNames.map { strdup($0)! }
        driverLengths = driverNames.map { Int32($0.utf8.count) }
        interventionCStrings = interventions.map { strdup($0)! }
        interventionLengths = interventions.map { Int32($0.utf8.count) }
        emptyCString = strdup("")!
        pending = .allocate(capacity: Self.rowsPerInsert)
        idBytes = .allocate(capacity: idCapacity)
    }

    deinit {
        store.locked {
            if !isClosed {
                try? writePendingLocked()
                try? store.commitBatchLocked()
            }
            sqlite3_clear_bindings(blockInsert.handle)
            sqlite3_clear_bindings(rowInsert.handle)
        }
        for p in driverCStrings { free(p) }
        for p in interventionCStrings { free(p) }
        free(emptyCString)
        pending.deallocate()
        idBytes.deallocate()
    }

    /// Appends one prediction.
    /// - Parameters:
    ///   - line: the row's line in the input file.
    ///   - customerId: the id's UTF-8 bytes (copied before this returns).
    ///   - score: its drivers and intervention index the names given when the writer was made.
    @inline(__always)
    public func append(line: UInt64, customerId: UnsafeRawBufferPointer, score: RowScore) throws {
        try append(line: line, customerId: customerId, probability: score.probability, riskScore: Int(score.riskScore),
                   riskLevel: score.riskLevel, health: Int(score.health), drivers: score.drivers,
                   impacts: score.impacts, intervention: score.intervention)
    }

    /// Appends one prediction with the customer id as a String.
    public func append(line: UInt64, customerId: String, score: RowScore) throws {
        var id = customerId
        try id.withUTF8 { try append(line: line, customerId: UnsafeRawBufferPointer($0), score: score) }
    }

    /// Appends one prediction from its fields.
    /// - Parameters:
    ///   - drivers: indices into the writer's driver names, `RowScore.noDriver` for an empty slot.
    ///   - intervention: index into the writer's intervention texts.
    public func append(line: UInt64, customerId: UnsafeRawBufferPointer, probability: Double, riskScore: Int,
                       riskLevel: RiskLevel, health: Int, drivers: (UInt16, UInt16, UInt16),
                       impacts: (Float, Float, Float), intervention: UInt16) throws {
        guard !isClosed, !isBroken else {
            throw StoreError(operation: "insert prediction for run \(runId)",
                             message: isClosed ? "the run is already finished or failed" : "an earlier write of this run failed",
                             path: store.path)
        }
        let driverCount = driverCStrings.count
        @inline(__always) func valid(_ d: UInt16) -> Bool { d == RowScore.noDriver || Int(d) < driverCount }
        guard valid(drivers.0), valid(drivers.1), valid(drivers.2) else {
            throw StoreError(operation: "insert prediction for run \(runId), line \(line)",
                             message: "a driver index of \(drivers) is outside the writer's \(driverCount) names", path: store.path)
        }
        guard Int(intervention) < interventionCStrings.count else {
            throw StoreError(operation: "insert prediction for run \(runId), line \(line)",
                             message: "intervention index \(intervention) is outside the writer's \(interventionCStrings.count) names",
                             path: store.path)
        }
        let n = customerId.count
        var used = idUsed
        if used + n > idCapacity {
            var capacity = idCapacity * 2
            while used + n > capacity { capacity *= 2 }
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            bigger.update(from: idBytes, count: used)
            idBytes.deallocate()
            idBytes = bigger
            idCapacity = capacity
        }
        if n > 0 { memcpy(idBytes + used, customerId.baseAddress!, n) }
        let k = pendingCount
        (pending + k).initialize(to: PendingRow(
            line: Int64(bitPattern: line), probability: probability, riskScore: Int64(riskScore),
            riskLevel: Int64(riskLevel.rawValue), health: Int64(health), drivers: drivers, impacts: impacts,
            intervention: intervention, idOffset: used, idLength: n))
        used += n
        idUsed = used
        pendingCount = k + 1
        rowsWritten &+= 1
        if k + 1 == Self.rowsPerInsert {
            store.lock.lock()
            defer { store.lock.unlock() }
            try writePendingLocked()
        }
    }

    /// Writes and commits the rows appended so far (they stay invisible to history until the run
    /// succeeds).
    public func flush() throws {
        try store.locked {
            guard !isClosed else { return }
            try writePendingLocked()
            try store.commitBatchLocked()
        }
    }

    /// Inserts the buffered rows in the store's open batch transaction (opening one if needed) and
    /// commits when the batch is full. Call with the store's lock held.
    func writePendingLocked() throws {
        let count = pendingCount
        guard count > 0 else { return }
        guard !isClosed else {
            throw StoreError(operation: "insert predictions of run \(runId)", message: "the run is already finished or failed",
                             path: store.path)
        }
        // Whatever happens below, these rows are handed over; if they cannot be written the writer
        // is broken and the run can only fail.
        pendingCount = 0
        idUsed = 0
        do {
            if !store.batchOpen {
                try store.db.execute("BEGIN IMMEDIATE", "begin a batch of predictions for run \(runId)")
                store.batchOpen = true
                store.batchRows = 0
                if store.writerFirstId == nil {
                    // Rows inserted from here on get ids above the current maximum: the run's lower bound.
                    store.writerFirstId = try store.db.scalarInt("SELECT coalesce(max(id), 0) + 1 FROM predictions")
                }
            }
            if count == Self.rowsPerInsert {
                let h = blockInsert.handle
                for k in 0..<count { bind(h, Int32(k) * Self.columns, pending[k]) }
                try step(h)
            } else {
                let h = rowInsert.handle
                for k in 0..<count {
                    bind(h, 0, pending[k])
                    try step(h)
                }
            }
            store.writerLastId = max(store.writerLastId, sqlite3_last_insert_rowid(store.db.handle))
            store.batchRows += count
            if store.batchRows >= batchSize { try store.commitBatchLocked() }
        } catch {
            isBroken = true
            throw error
        }
    }

    /// Drops buffered rows (the run failed).
    func discardPendingLocked() {
        pendingCount = 0
        idUsed = 0
    }

    @inline(__always)
    private func step(_ h: OpaquePointer) throws {
        let rc = sqlite3_step(h)
        sqlite3_reset(h)
        guard rc == SQLITE_DONE else { throw store.db.error("insert predictions of run \(runId)", rc) }
    }

    @inline(__always)
    private func bind(_ h: OpaquePointer, _ base: Int32, _ row: PendingRow) {
        sqlite3_bind_int64(h, base + 1, runId)
        sqlite3_bind_int64(h, base + 2, row.line)
        if row.idLength > 0 {
            // SQLITE_STATIC: the bytes stay put until the statement has been stepped and reset.
            sqlite3_bind_text(h, base + 3, UnsafeRawPointer(idBytes + row.idOffset).assumingMemoryBound(to: CChar.self),
                              Int32(row.idLength), nil)
        } else {
            sqlite3_bind_text(h, base + 3, emptyCString, 0, nil)
        }
        sqlite3_bind_double(h, base + 4, row.probability)
        sqlite3_bind_int64(h, base + 5, row.riskScore)
        sqlite3_bind_int64(h, base + 6, row.riskLevel)
        sqlite3_bind_int64(h, base + 7, row.health)
        bindDriver(h, base + 8, row.drivers.0, row.impacts.0)
        bindDriver(h, base + 10, row.drivers.1, row.impacts.1)
        bindDriver(h, base + 12, row.drivers.2, row.impacts.2)
        let a = Int(row.intervention)
        sqlite3_bind_text(h, base + 14, interventionCStrings[a], interventionLengths[a], nil)
    }

    @inline(__always)
    private func bindDriver(_ h: OpaquePointer, _ i: Int32, _ d: UInt16, _ impact: Float) {
        if d == RowScore.noDriver {
            sqlite3_bind_null(h, i)
            sqlite3_bind_null(h, i + 1)
        } else {
            sqlite3_bind_text(h, i, driverCStrings[Int(d)], driverLengths[Int(d)], nil)
            sqlite3_bind_double(h, i + 1, Double(impact))
        }
    }
}
