import ChurnCore
import ChurnHistoryFormat
import Foundation

/// Migration 2's data step: rewrites the row-per-prediction table of schema 1 as column blocks.
///
/// Only succeeded runs keep their predictions (a failed or abandoned run's rows were invisible to
/// every query anyway). Each run's driver names and interventions become its string dictionary; its
/// rows, read in `predictions.id` order (input order), go through the ordinary `PredictionWriter`,
/// inside the migration's transaction.
enum SchemaOneConversion {
    static func convert(_ store: RunStore) throws {
        let db = store.db
        let runs = try db.prepare("""
            SELECT id, first_prediction, last_prediction FROM runs
            WHERE status = 'succeeded' AND first_prediction IS NOT NULL ORDER BY id
            """, "migrate to schema 2: list runs")
        var list: [(id: Int64, first: Int64, last: Int64)] = []
        while try runs.step() { list.append((runs.int64(0), runs.int64(1), runs.int64(2))) }
        for run in list { try convertRun(store, run.id, first: run.first, last: run.last) }
    }

    private static func convertRun(_ store: RunStore, _ runId: Int64, first: Int64, last: Int64) throws {
        let db = store.db
        let operation = "migrate run \(runId) to schema 2"
        let range = "id BETWEEN ?1 AND ?2 AND run_id = ?3"
        func strings(_ sql: String) throws -> [String] {
            let s = try db.prepare(sql, operation)
            s.bind(1, first)
            s.bind(2, last)
            s.bind(3, runId)
            var out: [String] = []
            while try s.step() { out.append(s.text(0)) }
            return out
        }
        let drivers = try strings("""
            SELECT name FROM (SELECT driver_1 AS name FROM predictions WHERE \(range)
                              UNION SELECT driver_2 FROM predictions WHERE \(range)
                              UNION SELECT driver_3 FROM predictions WHERE \(range))
            WHERE name IS NOT NULL ORDER BY name
            """)
        let interventions = try strings("SELECT DISTINCT intervention FROM predictions WHERE \(range) ORDER BY intervention")
        let driverCode = Dictionary(uniqueKeysWithValues: drivers.enumerated().map { ($1, UInt16($0)) })
        let actionCode = Dictionary(uniqueKeysWithValues: interventions.enumerated().map { ($1, UInt16($0)) })

        try store.insertStringsLocked(runId: runId, driverNames: drivers, interventions: interventions)
        let writer = try PredictionWriter(store: store, runId: runId, driverNames: drivers, interventions: interventions,
                                          blockRows: RunStore.defaultBlockRows, comparingWith: nil, ownTransactions: false,
                                          schemaTwoLayout: true)
        defer { writer.closeLocked() }
        let rows = try db.prepare("""
            SELECT line, customer_id, probability, risk_score, risk_level, health, driver_1, impact_1, driver_2, impact_2,
                   driver_3, impact_3, intervention
            FROM predictions WHERE \(range) ORDER BY id
            """, operation)
        rows.bind(1, first)
        rows.bind(2, last)
        rows.bind(3, runId)
        while try rows.step() {
            func driver(_ c: Int32) -> (UInt16, Float) {
                guard !rows.isNull(c), let code = driverCode[rows.text(c)] else { return (RowScore.noDriver, 0) }
                return (code, Float(rows.double(c + 1)))
            }
            let (d1, i1) = driver(6), (d2, i2) = driver(8), (d3, i3) = driver(10)
            let level = RiskLevel(rawValue: UInt8(clamping: rows.int64(4))) ?? .low
            var id = rows.text(1)
            try id.withUTF8 { bytes in
                try writer.append(line: UInt64(bitPattern: rows.int64(0)), customerId: UnsafeRawBufferPointer(bytes),
                                  probability: rows.double(2), riskScore: Int(rows.int64(3)), riskLevel: level,
                                  health: Int(rows.int64(5)), drivers: (d1, d2, d3), impacts: (i1, i2, i3),
                                  intervention: actionCode[rows.text(12)] ?? 0)
            }
        }
        try writer.writeBlockLocked(final: true)
    }
}
