import CSQLite
import ChurnCore
import ChurnHistoryFormat
import Foundation

/// Reading runs and predictions back.
extension RunStore {
    /// The latest runs of any status, newest first.
    public func listRuns(limit: Int = 50) throws -> [RunRecord] {
        try locked {
            let s = try db.prepare("SELECT \(Self.runColumns) FROM runs ORDER BY id DESC LIMIT ?", "list runs")
            s.bind(1, limit)
            var out: [RunRecord] = []
            while try s.step() { out.append(Self.runRecord(s)) }
            return out
        }
    }

    /// One run by id.
    public func run(id: Int64) throws -> RunRecord? {
        try locked {
            let s = try db.prepare("SELECT \(Self.runColumns) FROM runs WHERE id = ?", "read run \(id)")
            s.bind(1, id)
            return try s.step() ? Self.runRecord(s) : nil
        }
    }

    /// The last succeeded run of the input with this file name started before `date`.
    public func previousRun(inputName: String, before date: Date) throws -> RunRecord? {
        try locked {
            let s = try db.prepare("""
                SELECT \(Self.runColumns) FROM runs
                WHERE input_name = ? AND status = 'succeeded' AND started_at < ?
                ORDER BY started_at DESC, id DESC LIMIT 1
                """, "previous run of \(inputName)")
            s.bind(1, inputName)
            s.bind(2, date.timeIntervalSince1970)
            return try s.step() ? Self.runRecord(s) : nil
        }
    }

    /// The last succeeded run of the input with this file name, before run `runId` (or the very last).
    public func previousRun(inputName: String, before runId: Int64? = nil) throws -> RunRecord? {
        try locked {
            let s = try db.prepare("""
                SELECT \(Self.runColumns) FROM runs
                WHERE input_name = ? AND status = 'succeeded' AND id < ?
                ORDER BY id DESC LIMIT 1
                """, "previous run of \(inputName)")
            s.bind(1, inputName)
            s.bind(2, runId ?? Int64.max)
            return try s.step() ? Self.runRecord(s) : nil
        }
    }

    /// One customer's scores over succeeded runs, newest run first (by line within a run).
    /// Reads one index BLOB per segment of each run and decodes only the blocks that may hold the id.
    public func history(customerId: String, limit: Int = 1000) throws -> [CustomerScore] {
        try locked {
            let h = CustomerIndex.hash(customerId)
            let s = try db.prepare(Self.historySQL, "history of \(customerId)")
            s.bind(1, CustomerIndex.bucket(h))
            var candidates: [(run: RunInfo, blocks: Set<Int>)] = []
            while try s.step() {
                let blocks = CustomerIndex.candidateBlocks(s.blob(5), segment: Int(s.int64(4)), hash: h)
                guard !blocks.isEmpty else { continue }
                let run = RunInfo(s)
                if let last = candidates.last, last.run.id == run.id {
                    candidates[candidates.count - 1].blocks.formUnion(blocks)
                } else {
                    candidates.append((run, blocks))
                }
            }
            let wanted = Array(customerId.utf8)
            var out: [CustomerScore] = []
            for (run, blocks) in candidates {
                let strings = try stringsLocked(runId: run.id)
                var found: [CustomerScore] = []
                for b in blocks.sorted() {
                    guard let block = try decodedBlockLocked(runId: run.id, block: b, strings: strings) else { continue }
                    for row in 0..<block.rowCount where block.idBytes[block.idStarts[row]..<block.idStarts[row + 1]].elementsEqual(wanted) {
                        found.append(Self.customerScore(block, row: row, run: run, strings: strings))
                    }
                }
                out += found.sorted { $0.line < $1.line }
                if out.count >= limit { break }
            }
            return Array(out.prefix(max(0, limit)))
        }
    }

    /// A page of one run's predictions in input order, optionally of one risk level.
    public func predictions(runId: Int64, level: RiskLevel? = nil, limit: Int = 100, offset: Int = 0) throws -> [CustomerScore] {
        try customerPage(CustomerQuery(runId: runId, levels: level.map { [$0] }, sort: .inputOrder, offset: offset, limit: limit)).rows
    }

    /// Customers at High risk in run `runId` but not in `previousRunId` (absent there, or Low or
    /// Medium), in input order, each once. With no previous run every High-risk customer is new.
    public func newlyHighRisk(runId: Int64, previousRunId: Int64?) throws -> [String] {
        try locked {
            let previous = try previousRunId.map { try highIdTableLocked(runId: $0) } ?? HighIdTable()
            var seen = IdSet()
            var out: [String] = []
            try forEachHighIdLocked(runId: runId) { id in
                let h = CustomerIndex.hash(id)
                if !previous.contains(id, hash: h) && seen.insert(id, hash: h) {
                    out.append(String(decoding: id, as: UTF8.self))
                }
            }
            return out
        }
    }

    /// Customers at High risk in run `runId`, in input order, each once.
    public func highRiskIds(runId: Int64) throws -> [String] {
        try newlyHighRisk(runId: runId, previousRunId: nil)
    }

    /// Number of predictions of a run committed so far.
    public func predictionCount(runId: Int64) throws -> Int {
        try locked {
            let s = try db.prepare("SELECT coalesce(sum(row_count), 0) FROM prediction_blocks WHERE run_id = ?",
                                   "count predictions of run \(runId)")
            s.bind(1, runId)
            return try s.step() ? Int(s.int64(0)) : 0
        }
    }

    /// Runs outer (CROSS JOIN keeps that order), so each succeeded run costs one seek into the
    /// customer index, whatever the planner would guess without statistics.
    static let historySQL = """
        SELECT r.id, r.started_at, r.finished_at, r.input_name, i.segment, i.entries
        FROM runs r CROSS JOIN customer_index i ON i.run_id = r.id AND i.bucket = ?1
        WHERE r.status = 'succeeded'
        ORDER BY r.id DESC, i.segment
        """

    // MARK: Blocks

    /// What a customer score shows of its run.
    struct RunInfo {
        var id: Int64
        var startedAt: Double
        var finishedAt: Double?
        var inputName: String

        /// From columns 0–3: id, started_at, finished_at, input_name.
        init(_ s: SQLiteStatement) {
            id = s.int64(0)
            startedAt = s.double(1)
            finishedAt = s.optionalDouble(2)
            inputName = s.text(3)
        }
    }

    /// The interventions a run's predictions can name, in code order (what a customer table's
    /// intervention filter offers); empty for a run with no predictions written.
    public func interventions(runId: Int64) throws -> [String] {
        try locked { try stringsLocked(runId: runId).interventions }
    }

    /// The categorical features whose values a run's predictions record, with their levels, in
    /// code order (what a customer table's category filters offer); empty for a run without
    /// category data (recorded before schema 3, or a feature with more levels than codes).
    public func categories(runId: Int64) throws -> [CategoryLevels] {
        try locked { try stringsLocked(runId: runId).categories }
    }

    /// A run's driver names, interventions and categorical features.
    struct RunStrings {
        var drivers: [String] = []
        var interventions: [String] = []
        var categories: [CategoryLevels] = []
        var categoryLevelCounts: [Int] { categories.map(\.levels.count) }
    }

    func stringsLocked(runId: Int64) throws -> RunStrings {
        let s = try db.prepare("SELECT kind, code, text FROM run_strings WHERE run_id = ? ORDER BY kind, code",
                               "read the strings of run \(runId)")
        s.bind(1, runId)
        var strings = RunStrings()
        while try s.step() {
            switch s.int64(0) {
            case 0: strings.drivers.append(s.text(2))
            case 1: strings.interventions.append(s.text(2))
            case 2: strings.categories.append(CategoryLevels(feature: s.text(2), levels: []))
            case 3:
                let f = Int(s.int64(1) >> 16)
                guard f < strings.categories.count else {
                    throw StoreError(operation: "read the strings of run \(runId)", message: "a level of unknown feature \(f)", path: path)
                }
                strings.categories[f].levels.append(s.text(2))
            default: break
            }
        }
        return strings
    }

    func runInfoLocked(runId: Int64) throws -> RunInfo? {
        let s = try db.prepare("SELECT id, started_at, finished_at, input_name FROM runs WHERE id = ?", "read run \(runId)")
        s.bind(1, runId)
        return try s.step() ? RunInfo(s) : nil
    }

    /// Block `block` of a run, decoded; nil when there is no such block.
    func decodedBlockLocked(runId: Int64, block: Int, strings: RunStrings) throws -> DecodedBlock? {
        let s = try db.prepare("""
            SELECT b.row_count, b.first_line, b.scores, b.ids, b.details, c.actions, c.categories
            FROM prediction_blocks b LEFT JOIN prediction_codes c ON c.run_id = b.run_id AND c.block = b.block
            WHERE b.run_id = ? AND b.block = ?
            """, "read block \(block) of run \(runId)")
        s.bind(1, runId)
        s.bind(2, block)
        guard try s.step() else { return nil }
        do {
            return try DecodedBlock.decode(rowCount: Int(s.int64(0)), firstLine: UInt64(bitPattern: s.int64(1)), scores: s.blob(2),
                                           ids: s.blob(3), details: s.blob(4), driverNames: strings.drivers.count,
                                           interventions: strings.interventions.count, actions: s.isNull(5) ? nil : s.blob(5),
                                           categories: s.isNull(6) ? nil : s.blob(6), categoryLevels: strings.categoryLevelCounts)
        } catch {
            throw StoreError(operation: "read block \(block) of run \(runId)", message: "the block is damaged", path: path)
        }
    }

    /// Calls `body` with the id of every High-risk row of a run, in input order.
    func forEachHighIdLocked(runId: Int64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try forEachHighIdBlobLocked(runId: runId) { blob in
            do {
                try DecodedBlock.highIds(blob, into: body)
            } catch is ByteSource.Damaged {
                throw StoreError(operation: "read High-risk ids of run \(runId)", message: "a block is damaged", path: path)
            }
        }
    }

    /// The `high_ids` BLOB of each block of a run that has High-risk rows, in block order.
    private func forEachHighIdBlobLocked(runId: Int64, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let s = try db.prepare("SELECT high_ids FROM prediction_blocks WHERE run_id = ? AND high_count > 0 ORDER BY block",
                               "read High-risk ids of run \(runId)")
        s.bind(1, runId)
        while try s.step() { try body(s.blob(0)) }
    }

    /// The ids at High risk in a run, as a table to look ids up in. Reads the run's `high_ids`
    /// BLOBs once, after their count and total size (which SQLite knows from each row's header,
    /// without reading the BLOBs).
    func highIdTableLocked(runId: Int64) throws -> HighIdTable {
        let count = try db.prepare("SELECT coalesce(sum(high_count), 0), coalesce(sum(length(high_ids)), 0) FROM prediction_blocks WHERE run_id = ?",
                                   "count High-risk rows of run \(runId)")
        count.bind(1, runId)
        let (expected, blobBytes) = try count.step() ? (Int(count.int64(0)), Int(count.int64(1))) : (0, 0)
        do {
            return try HighIdTable(expected: expected, blobBytes: blobBytes) { add in
                try forEachHighIdBlobLocked(runId: runId) { add($0) }
            }
        } catch is ByteSource.Damaged {
            throw StoreError(operation: "read High-risk ids of run \(runId)", message: "a block is damaged", path: path)
        }
    }

    static func customerScore(_ block: DecodedBlock, row: Int, run: RunInfo, strings: RunStrings) -> CustomerScore {
        var drivers: [DriverImpact] = []
        for k in (3 * row)..<(3 * row + 3) where block.drivers[k] != RowScore.noDriver {
            drivers.append(DriverImpact(name: strings.drivers[Int(block.drivers[k])], impact: block.impacts[k]))
        }
        return CustomerScore(
            runId: run.id, runStartedAt: Date(timeIntervalSince1970: run.startedAt),
            runFinishedAt: run.finishedAt.map(Date.init(timeIntervalSince1970:)), inputName: run.inputName,
            line: block.lines[row], customerId: block.id(row), probability: Double(block.probabilities[row]),
            riskScore: Int(block.riskScores[row]), riskLevel: RiskLevel(rawValue: block.levels[row]) ?? .low,
            health: Int(block.healths[row]), drivers: drivers, intervention: strings.interventions[Int(block.actions[row])],
            categoryValues: block.categories.indices.map {
                CategoryValue(feature: strings.categories[$0].feature, value: strings.categories[$0].label(Int(block.categories[$0][row])))
            })
    }

    static let runColumns = """
        id, started_at, finished_at, status, error, input_path, input_name, input_bytes, input_fingerprint,
        model_hash, model_path, rank_by, rows_scored, rows_rejected, summary_json
        """

    static func runRecord(_ s: SQLiteStatement) -> RunRecord {
        RunRecord(
            id: s.int64(0), startedAt: Date(timeIntervalSince1970: s.double(1)),
            finishedAt: s.optionalDouble(2).map(Date.init(timeIntervalSince1970:)),
            status: RunStatus(rawValue: s.text(3)) ?? .failed, error: s.optionalText(4), inputPath: s.text(5),
            inputName: s.text(6), inputBytes: s.int64(7), inputFingerprint: s.text(8), modelHash: s.text(9),
            modelPath: s.text(10), rankBy: s.text(11),
            rowsScored: s.optionalInt64(12).map { UInt64(clamping: $0) },
            rowsRejected: s.optionalInt64(13).map { UInt64(clamping: $0) }, summaryJSON: s.optionalText(14))
    }
}
