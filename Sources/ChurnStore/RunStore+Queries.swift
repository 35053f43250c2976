import CSQLite
import ChurnCore
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

    /// One customer's scores over succeeded runs, newest run first.
    public func history(customerId: String, limit: Int = 1000) throws -> [CustomerScore] {
        try locked {
            let s = try db.prepare("""
                SELECT \(Self.scoreColumns)
                FROM predictions p JOIN runs r ON r.id = p.run_id
                WHERE p.customer_id = ? AND r.status = 'succeeded'
                ORDER BY r.id DESC, p.line
                LIMIT ?
                """, "history of \(customerId)")
            s.bind(1, customerId)
            s.bind(2, limit)
            var out: [CustomerScore] = []
            while try s.step() { out.append(Self.customerScore(s)) }
            return out
        }
    }

    /// A page of one run's predictions in the order they were written, optionally of one risk level.
    /// Reads the run's recorded row range, so it costs the run's size, not the table's.
    public func predictions(runId: Int64, level: RiskLevel? = nil, limit: Int = 100, offset: Int = 0) throws -> [CustomerScore] {
        try locked {
            let s = try db.prepare("""
                SELECT \(Self.scoreColumns)
                FROM predictions p JOIN runs r ON r.id = p.run_id
                WHERE p.\(Self.runRange("?1")) AND p.run_id = ?1 AND (?2 IS NULL OR p.risk_level = ?2)
                ORDER BY p.id
                LIMIT ?3 OFFSET ?4
                """, "predictions of run \(runId)")
            s.bind(1, runId)
            s.bind(2, level.map { Int64($0.rawValue) })
            s.bind(3, limit)
            s.bind(4, offset)
            var out: [CustomerScore] = []
            while try s.step() { out.append(Self.customerScore(s)) }
            return out
        }
    }

    /// Customers at High risk in run `runId` but not in `previousRunId` (absent there, or Low or
    /// Medium), in input order, each once. With no previous run every High-risk customer is new.
    public func newlyHighRisk(runId: Int64, previousRunId: Int64?) throws -> [String] {
        guard let previousRunId else { return try highRiskIds(runId: runId) }
        return try locked {
            let s = try db.prepare(Self.newlyHighRiskSQL, "newly High risk in run \(runId)")
            s.bind(1, runId)
            s.bind(2, previousRunId)
            var out: [String] = []
            while try s.step() { out.append(s.text(0)) }
            return out
        }
    }

    /// Customers at High risk in run `runId`, in input order, each once.
    public func highRiskIds(runId: Int64) throws -> [String] {
        try locked {
            let s = try db.prepare("""
                SELECT customer_id FROM predictions INDEXED BY predictions_high_by_run
                WHERE run_id = ? AND risk_level = 2
                GROUP BY customer_id ORDER BY min(line)
                """, "High risk in run \(runId)")
            s.bind(1, runId)
            var out: [String] = []
            while try s.step() { out.append(s.text(0)) }
            return out
        }
    }

    /// Number of predictions of a run committed so far.
    public func predictionCount(runId: Int64) throws -> Int {
        try locked {
            let s = try db.prepare("SELECT count(*) FROM predictions WHERE \(Self.runRange("?1")) AND run_id = ?1",
                                   "count predictions of run \(runId)")
            s.bind(1, runId)
            return try s.step() ? Int(s.int64(0)) : 0
        }
    }

    // MARK: SQL and row mapping

    /// Both the scan of this run's High rows and the probe of the previous run are answered from the
    /// partial High-risk index alone (it holds customer_id and line). INDEXED BY makes a planner
    /// without ANALYZE statistics unable to pick anything slower.
    static let newlyHighRiskSQL = """
        SELECT p.customer_id FROM predictions p INDEXED BY predictions_high_by_run
        WHERE p.run_id = ?1 AND p.risk_level = 2
          AND NOT EXISTS (SELECT 1 FROM predictions q INDEXED BY predictions_high_by_run
                          WHERE q.run_id = ?2 AND q.customer_id = p.customer_id AND q.risk_level = 2)
        GROUP BY p.customer_id
        ORDER BY min(p.line)
        """

    /// The SQL condition "predictions.id lies in the recorded range of run `parameter`".
    static func runRange(_ parameter: String) -> String {
        """
        id BETWEEN (SELECT first_prediction FROM runs WHERE id = \(parameter)) \
        AND (SELECT last_prediction FROM runs WHERE id = \(parameter))
        """
    }

    static let scoreColumns = """
        r.id, r.started_at, r.finished_at, r.input_name, p.line, p.customer_id, p.probability, p.risk_score,
        p.risk_level, p.health, p.driver_1, p.impact_1, p.driver_2, p.impact_2, p.driver_3, p.impact_3, p.intervention
        """

    static func customerScore(_ s: SQLiteStatement) -> CustomerScore {
        var drivers: [DriverImpact] = []
        for k: Int32 in [10, 12, 14] where !s.isNull(k) {
            drivers.append(DriverImpact(name: s.text(k), impact: s.double(k + 1)))
        }
        return CustomerScore(
            runId: s.int64(0), runStartedAt: Date(timeIntervalSince1970: s.double(1)),
            runFinishedAt: s.optionalDouble(2).map(Date.init(timeIntervalSince1970:)), inputName: s.text(3),
            line: UInt64(bitPattern: s.int64(4)), customerId: s.text(5), probability: s.double(6),
            riskScore: Int(s.int64(7)), riskLevel: RiskLevel(rawValue: UInt8(clamping: s.int64(8))) ?? .low,
            health: Int(s.int64(9)), drivers: drivers, intervention: s.text(16))
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
