import CSQLite
import ChurnCore
import ChurnHistoryFormat
import Foundation

/// Writes one run's predictions as column blocks (see `PredictionBlock`) plus the run's customer
/// index (see `CustomerIndex`): one `prediction_blocks` row per `blockRows` predictions, written and
/// committed when the block is full (fed by chunks, `blocksPerCommit` blocks per commit), so SQLite
/// sees a few hundred inserts for ten million rows.
///
/// Get one from `RunStore.predictionWriter(runId:driverNames:interventions:blockRows:comparingWith:)`;
/// end it with `RunStore.finishRun` (which writes the last block and index segment and marks the run
/// succeeded in one transaction) or `RunStore.failRun`. Use it from one thread at a time; `append`
/// takes the store's lock only when it writes a block. A writer dropped without either commits what
/// it has; its run stays `running` and so invisible to history queries.
///
/// Rows arrive one by one (`append(line:customerId:score:)`) or, from the scoring engines, as whole
/// chunks encoded on the scoring threads (`append(chunk:)` with builders from `recording`); the
/// writer's own thread then only copies columns and files index entries.
///
/// With `comparingWith`, the writer also works out, block by block on its own thread, which
/// customers are High now but were not High in that earlier run (`newlyHigh`), so the comparison
/// costs nothing at the end. Files of the same name list customers in about the same order from
/// run to run, so each High id is first compared with the ids after the last one found (sequential
/// memory). The few it does not find that way are kept, in order, and checked when `newlyHigh` is
/// read, in one pass over the earlier run's ids without hashing them; only when there are many (a
/// file in another order) does the earlier run's table build its hash index and look them, and the
/// rest, up by hash. The result is exact either way.
public final class PredictionWriter {
    /// The run the rows belong to.
    public let runId: Int64
    /// Rows per block.
    public let blockRows: Int
    /// Rows appended so far (written or still buffered).
    public private(set) var rowsWritten: UInt64 = 0

    let store: RunStore
    private let driverCount: Int
    private let interventionCount: Int
    private var block: PredictionBlockBuilder
    /// Full blocks from `append(chunk:)` not yet written, in input order: written `blocksPerCommit`
    /// at a time in one transaction, since every commit also rewrites the tables' last pages (64 KiB
    /// each) into the WAL.
    private var pending: [PredictionBlockBuilder] = []
    /// Blocks of chunks per transaction.
    static let blocksPerCommit = 4
    private let index = CustomerIndexBuilder()
    /// Number of the block being filled; its first row's number in the run.
    private var blockNumber = 0
    private var blockFirstRow: Int64 = 0
    /// False while a migration writes inside its own transaction.
    let ownTransactions: Bool
    /// Write schema-2 blocks (the schema-1 conversion runs before schema 3's columns exist).
    let schemaTwoLayout: Bool

    /// The run compared with, its High ids (built by `loader` while the first blocks are written,
    /// or with the first block inside a migration), and where in them the last High id of this run
    /// was found.
    private let previousRunId: Int64?
    private var previousHigh: HighIdTable?
    private var loader: HighIdTableLoader?
    /// The High ids of blocks written before `previousHigh` was built (each block's `highIds`
    /// bytes, in input order), compared once it is.
    private var uncompared: [[UInt8]] = []
    /// Blocks written whose High ids wait for the compared run's table (for tests).
    var uncomparedBlocks: Int { uncompared.count }
    /// Number (in input order) of the id of `previousHigh` just past the last one found.
    private var previousCursor = 0
    /// This run's newly-High ids so far (each once), when comparing.
    private var highSeen = IdSet()
    private var newlyHighIds: [String] = []
    /// High ids `findNear` did not find while the table had no hash index, in input order: settled
    /// when the list is asked for, or by building the index once there are more than
    /// `maxDeferredMisses` (a file in another order than the earlier run's).
    private var misses = IdList()
    /// A variable for tests.
    nonisolated(unsafe) static var maxDeferredMisses = 1 << 16
    /// Whether the compared run's table built its hash index (for tests).
    var comparedWithIndex: Bool { previousHigh?.isIndexed ?? false }
    /// Builders for the scoring threads, sharing the compared run's High ids with this writer.
    public let recording: PredictionRecording

    /// Checkpoints the WAL off this writer's thread while it writes (nil inside a migration).
    private var checkpointer: WALCheckpointer?
    /// WAL size at which a commit waits for a checkpoint (`WALCheckpointer.maxFrames`); a variable
    /// for tests.
    nonisolated(unsafe) static var maxWALBytes = 64 << 20
    /// Frames in the WAL after the last commit on the store's connection, set by SQLite's WAL hook.
    private let walFrames = WALFrameCount()

    /// Set by the store (under its lock, through `closeLocked()`) when the run is finished or failed.
    private(set) var isClosed = false
    /// Set when rows were lost to a failed write: the run can then only fail.
    var isBroken = false

    init(store: RunStore, runId: Int64, driverNames: [String], interventions: [String], categories: [CategoryLevels] = [],
         blockRows: Int, comparingWith previousRunId: Int64?, ownTransactions: Bool = true, schemaTwoLayout: Bool = false) throws {
        self.store = store
        self.runId = runId
        self.blockRows = blockRows
        self.ownTransactions = ownTransactions
        self.schemaTwoLayout = schemaTwoLayout
        self.previousRunId = previousRunId
        driverCount = driverNames.count
        interventionCount = interventions.count
        guard driverCount < 65535 else {
            throw StoreError(operation: "open prediction writer for run \(runId)", message: "more than 65534 driver names",
                             path: store.path)
        }
        let levels = categories.map(\.levels.count)
        recording = PredictionRecording(driverNames: driverCount, interventions: interventionCount, categoryLevels: levels)
        block = PredictionBlockBuilder(driverNames: driverCount, interventions: interventionCount, categoryLevels: levels)
        if ownTransactions, let previousRunId {
            loader = HighIdTableLoader(path: store.path, runId: previousRunId)
        }
        if ownTransactions {
            try store.db.execute("PRAGMA wal_autocheckpoint = 0", "open prediction writer for run \(runId)")
            let pageSize = max(512, Int(try store.db.scalarInt("PRAGMA page_size")))
            checkpointer = WALCheckpointer(path: store.path, maxFrames: Self.maxWALBytes / pageSize)
            // After `wal_autocheckpoint = 0`, which removes SQLite's own hook: counts the WAL's frames.
            sqlite3_wal_hook(store.db.handle, { context, _, _, frames in
                Unmanaged<WALFrameCount>.fromOpaque(context!).takeUnretainedValue().frames = Int(frames)
                return SQLITE_OK
            }, Unmanaged.passUnretained(walFrames).toOpaque())
        }
    }

    /// Ends the writer: no more rows; checkpoints go back to SQLite's automatic ones. Call with the
    /// store's lock held.
    func closeLocked() {
        guard !isClosed else { return }
        isClosed = true
        if let checkpointer {
            checkpointer.stop()
            self.checkpointer = nil
            // Also replaces the frame-counting hook (whose context this writer owns).
            sqlite3_wal_hook(store.db.handle, nil, nil)
            try? store.db.execute("PRAGMA wal_autocheckpoint = 1000")
        }
    }

    deinit {
        store.locked {
            if !isClosed && !isBroken {
                try? writeBlockLocked(final: true)
            }
            closeLocked()
        }
    }

    /// Customers High in this run and not High in the run given as `comparingWith`, in input order,
    /// each once (empty without `comparingWith`). Complete once every row is appended.
    public var newlyHigh: [String] {
        // Already done by the run's last write unless nothing was left to write then.
        store.locked {
            try? compareUncompared(waiting: true)
            settleMisses(building: false)
        }
        return newlyHighIds
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
        let driverCount = self.driverCount
        @inline(__always) func valid(_ d: UInt16) -> Bool { d == RowScore.noDriver || Int(d) < driverCount }
        guard valid(drivers.0), valid(drivers.1), valid(drivers.2) else {
            throw StoreError(operation: "insert prediction for run \(runId), line \(line)",
                             message: "a driver index of \(drivers) is outside the writer's \(driverCount) names", path: store.path)
        }
        guard Int(intervention) < interventionCount else {
            throw StoreError(operation: "insert prediction for run \(runId), line \(line)",
                             message: "intervention index \(intervention) is outside the writer's \(interventionCount) names",
                             path: store.path)
        }
        block.append(line: line, id: customerId, probability: probability,
                     riskScore: UInt8(clamping: riskScore), level: riskLevel.rawValue, health: UInt8(clamping: health),
                     drivers: drivers, impacts: impacts, intervention: intervention, categoryCodes: nil)
        rowsWritten &+= 1
        if block.rowCount >= blockRows {
            store.lock.lock()
            defer { store.lock.unlock() }
            try writeBlockLocked(final: false)
        }
    }

    /// Appends a chunk of rows encoded by a scoring thread (a builder from `recording`), then gives
    /// the builder back to `recording`.
    public func append(chunk: PredictionBlockBuilder) throws {
        var spent = chunk
        defer { recording.recycle(spent) }
        guard !isClosed, !isBroken else {
            throw StoreError(operation: "insert predictions for run \(runId)",
                             message: isClosed ? "the run is already finished or failed" : "an earlier write of this run failed",
                             path: store.path)
        }
        guard chunk.driverWidth == block.driverWidth, chunk.actionWidth == block.actionWidth,
              chunk.categoryWidths == block.categoryWidths else {
            throw StoreError(operation: "insert predictions for run \(runId)", message: "the chunk was encoded for another run",
                             path: store.path)
        }
        if block.rowCount == 0 && chunk.rowCount * 2 >= blockRows {
            // A chunk of half a block or more becomes the block as it is, without a copy.
            spent = block
            block = chunk
        } else {
            block.append(contentsOf: chunk)
        }
        rowsWritten &+= UInt64(chunk.rowCount)
        // Fed by chunks, a block is written once it holds half the target: with the default 1 MiB
        // chunks each chunk is a block, never copied.
        if block.rowCount * 2 >= blockRows {
            pending.append(block)
            block = recording.makeChunk(firstLine: 0)
            if pending.count >= Self.blocksPerCommit {
                store.lock.lock()
                defer { store.lock.unlock() }
                try writeBlockLocked(final: false)
            }
        }
    }

    /// Writes and commits the rows appended so far as a (possibly short) block; they stay invisible
    /// to history until the run succeeds.
    public func flush() throws {
        try store.locked {
            guard !isClosed else { return }
            try writeBlockLocked(final: false, force: true)
        }
    }

    /// Writes the blocks waiting in `pending`, then the block being filled when it is full (or
    /// `force`/`final`), with each index segment as it completes and the last one when `final`. In
    /// one transaction of its own unless the caller holds one (`finishRun`, migrations). Call with
    /// the store's lock held.
    func writeBlockLocked(final: Bool, force: Bool = false) throws {
        guard !isClosed else {
            throw StoreError(operation: "insert predictions of run \(runId)", message: "the run is already finished or failed",
                             path: store.path)
        }
        if final { try compareUncompared(waiting: true) }
        let writeBlock = block.rowCount > 0 && (final || force || block.rowCount >= blockRows)
        // The block's rows are filed into the index as it is written: the index is empty before then.
        let writeIndex = final && (writeBlock || !pending.isEmpty || !index.isEmpty)
        guard writeBlock || !pending.isEmpty || writeIndex else { return }
        let transaction = ownTransactions && !store.db.inTransaction
        do {
            if transaction { try store.db.execute("BEGIN IMMEDIATE", "write predictions of run \(runId)") }
            for b in pending { try insertBlockLocked(b) }
            if writeBlock { try insertBlockLocked(block) }
            // The rest of the last segment (its entries belong to the last block written).
            if writeIndex && !index.isEmpty { try insertIndexLocked(segment: max(0, blockNumber - 1) / CustomerIndex.blocksPerSegment) }
            if transaction {
                try store.db.execute("COMMIT", "commit predictions of run \(runId)")
                checkpointer?.committed(walFrames: walFrames.frames)
            }
        } catch {
            if transaction { try? store.db.execute("ROLLBACK") }
            isBroken = true
            throw error
        }
        for b in pending { recording.recycle(b) }
        pending.removeAll()
    }

    /// Inserts one block (and the index segment it completes), then empties the builder.
    private func insertBlockLocked(_ block: PredictionBlockBuilder) throws {
        fileIndexEntries(block)
        try findNewlyHighLocked(block)
        block.seal(actionsInDetails: schemaTwoLayout)
        let s = try store.statement(.insertBlock)
        defer { s.clearAndReset() }
        s.bind(1, runId)
        s.bind(2, blockNumber)
        s.bind(3, blockFirstRow)
        s.bind(4, block.rowCount)
        s.bind(5, Int64(bitPattern: block.firstLine))
        s.bind(6, block.levelCounts.low)
        s.bind(7, block.levelCounts.medium)
        s.bind(8, block.levelCounts.high)
        s.bindStatic(9, block.scores.bytes)
        s.bindStatic(10, block.highIds.bytes)
        s.bindStatic(11, block.ids.bytes)
        s.bindStatic(12, block.details.bytes)
        try s.run()
        if !schemaTwoLayout {
            let c = try store.statement(.insertCodes)
            defer { c.clearAndReset() }
            c.bind(1, runId)
            c.bind(2, blockNumber)
            c.bindStatic(3, block.actions.bytes)
            if block.hasCategories { c.bindStatic(4, block.categories.bytes) } else { c.bindNull(4) }
            try c.run()
        }
        blockFirstRow += Int64(block.rowCount)
        blockNumber += 1
        block.reset()
        if blockNumber % CustomerIndex.blocksPerSegment == 0 {
            try insertIndexLocked(segment: blockNumber / CustomerIndex.blocksPerSegment - 1)
        }
    }

    /// The block's rows into the index segment.
    private func fileIndexEntries(_ block: PredictionBlockBuilder) {
        index.add(hashes: block.hashes.bytes, rows: block.rowCount, blockInSegment: blockNumber % CustomerIndex.blocksPerSegment)
    }

    /// The block's High ids that were not High in the compared run, into `newlyHigh`.
    private func findNewlyHighLocked(_ block: PredictionBlockBuilder) throws {
        guard let previousRunId, block.levelCounts.high > 0 else { return }
        if previousHigh == nil && loader == nil { previousHigh = try store.highIdTableLocked(runId: previousRunId) }
        try compareUncompared(waiting: false)
        guard let previous = previousHigh else {
            uncompared.append(Array(block.highIds.bytes))
            return
        }
        compare(highIds: block.highIds.bytes, with: previous)
    }

    /// Takes the table from `loader` once it is built (`waiting`: waits for it), then compares the
    /// High ids of the blocks written before. When the loader failed (its own connection could not
    /// read the run), builds the table on the store's connection, which reports any real damage.
    /// Call with the store's lock held.
    private func compareUncompared(waiting: Bool) throws {
        guard previousHigh == nil, let loader, let previousRunId else { return }
        let outcome: Result<HighIdTable, Error>
        if waiting {
            outcome = Result { try loader.wait() }
        } else {
            guard let ready = loader.ready else { return }
            outcome = ready
        }
        self.loader = nil
        previousHigh = try (try? outcome.get()) ?? store.highIdTableLocked(runId: previousRunId)
        for highIds in uncompared {
            highIds.withUnsafeBytes { compare(highIds: $0, with: previousHigh!) }
        }
        uncompared = []
    }

    private func compare(highIds: UnsafeRawBufferPointer, with previous: HighIdTable) {
        var s = ByteSource(highIds)
        while !s.isAtEnd {
            guard let n = try? s.varint(), let id = try? s.take(Int(n)) else { break }
            // The ids just after the last match first (further on while there is no hash index to
            // find the place again: earlier High ids that are no longer High are skipped); then,
            // once the table has its hash index, the hash buckets; until then the id waits with
            // the other misses (`settleMisses`).
            if previous.findNear(id, cursor: &previousCursor, lookahead: previous.isIndexed ? 4 : 64) { continue }
            if previous.isIndexed {
                lookUp(id, in: previous)
            } else {
                misses.append(id)
                if misses.count > Self.maxDeferredMisses { settleMisses(building: true) }
            }
        }
    }

    private func lookUp(_ id: UnsafeRawBufferPointer, in previous: HighIdTable) {
        let h = CustomerIndex.hash(id)
        if !previous.find(id, hash: h, cursor: &previousCursor) { addNewlyHigh(id, hash: h) }
    }

    private func addNewlyHigh(_ id: UnsafeRawBufferPointer, hash h: UInt64) {
        if highSeen.insert(id, hash: h) { newlyHighIds.append(String(decoding: id, as: UTF8.self)) }
    }

    /// Settles the High ids `findNear` did not find, in input order: few of them (`building`
    /// false), by one pass over the earlier run's ids (`HighIdTable.containsEach`); else by
    /// building the table's hash index and looking each up, as the ids after them then are.
    private func settleMisses(building: Bool) {
        guard !misses.isEmpty, let previous = previousHigh else { return }
        if building {
            previous.buildIndex()
            for k in 0..<misses.count { misses.withId(k) { lookUp($0, in: previous) } }
        } else {
            let found = previous.containsEach(misses)
            for k in 0..<misses.count where !found[k] {
                misses.withId(k) { addNewlyHigh($0, hash: CustomerIndex.hash($0)) }
            }
        }
        misses.removeAll()
    }

    private func insertIndexLocked(segment: Int) throws {
        let s = try store.statement(.insertIndex)
        defer { s.clearAndReset() }
        try index.drain { bucket, entries in
            s.bind(1, runId)
            s.bind(2, bucket)
            s.bind(3, segment)
            s.bindStatic(4, entries)
            try s.run()
            s.reset()
        }
    }

    /// Drops buffered rows (the run failed).
    func discardPendingLocked() {
        block.reset()
        for b in pending { recording.recycle(b) }
        pending.removeAll()
        index.drain { _, _ in }
    }
}

/// The WAL hook's count of frames, read by the writer after its commits (same thread).
private final class WALFrameCount {
    var frames = 0
}
