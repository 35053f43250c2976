import ChurnStore
import Foundation

/// The JSON objects of the runs API, built from the service's live state or the history.
enum RunJSON {
    /// One run: `id`, `status`, `input`, `inputBytes`, `startedAt`, `finishedAt`, `progress`, `error`,
    /// `summary` (the object of `churn score --summary-json`, once succeeded).
    static func object(_ run: RunView) -> [String: Any] {
        var o: [String: Any] = [
            "id": run.id,
            "status": run.status.rawValue,
            "input": run.inputName,
            "inputBytes": run.inputBytes,
            "startedAt": iso(run.startedAt),
            "finishedAt": run.finishedAt.map(iso) ?? NSNull(),
            "error": run.error ?? NSNull(),
            "progress": [
                "rowsScored": run.rowsScored,
                "bytesRead": run.bytesRead,
                "fraction": run.fraction,
                "rowsPerSecond": run.rowsPerSecond,
                "workers": run.workers,
            ] as [String: Any],
        ]
        if let summary = run.summaryJSON, let value = try? JSONSerialization.jsonObject(with: summary) {
            o["summary"] = value
        } else {
            o["summary"] = NSNull()
        }
        return o
    }

    /// The list form: the same without the summary (it can be large).
    static func listItem(_ run: RunView) -> [String: Any] {
        var o = object(run)
        o["summary"] = nil
        return o
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func data(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}

/// A run as the API and pages show it: the service's live state when this process ran it, else
/// the history's record (runs of `churn score` included).
struct RunView {
    var id: Int64
    var status: LiveStatus
    var inputName: String
    var inputBytes: Int64
    var startedAt: Date
    var finishedAt: Date?
    var rowsScored: UInt64
    var bytesRead: Int64
    var rowsPerSecond: Double
    var workers: Int
    var error: String?
    var summaryJSON: Data?
    var resultsPath: String?
    var reportPath: String?
    var modelHash: String?
    var rowsRejected: UInt64?

    var fraction: Double {
        if status == .succeeded { return 1 }
        return inputBytes > 0 ? min(1, Double(bytesRead) / Double(inputBytes)) : 0
    }

    init(_ live: LiveRun) {
        id = live.runId
        status = live.status
        inputName = live.inputName
        inputBytes = live.inputBytes
        startedAt = live.startedAt
        finishedAt = live.finishedAt
        rowsScored = live.rowsScored
        bytesRead = live.bytesRead
        rowsPerSecond = live.rowsPerSecond
        workers = live.workers
        error = live.error
        summaryJSON = live.summaryJSON
        resultsPath = live.resultsPath
        reportPath = live.reportPath
    }

    init(_ record: RunRecord, resultsPath: String?, reportPath: String?) {
        id = record.id
        switch record.status {
        case .running: status = .running
        case .succeeded: status = .succeeded
        case .failed: status = record.error == "cancelled" ? .cancelled : .failed
        }
        inputName = record.inputName
        inputBytes = record.inputBytes
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        rowsScored = record.rowsScored ?? 0
        rowsRejected = record.rowsRejected
        bytesRead = record.status == .succeeded ? record.inputBytes : 0
        let seconds = record.finishedAt.map { $0.timeIntervalSince(record.startedAt) } ?? 0
        rowsPerSecond = seconds > 0 ? Double(rowsScored) / seconds : 0
        workers = 0
        error = record.error
        summaryJSON = record.summaryJSON.map { Data($0.utf8) }
        self.resultsPath = resultsPath
        self.reportPath = reportPath
        modelHash = record.modelHash
    }
}
