import ChurnCore
import ChurnHistoryFormat
import Foundation

/// How a run's scores moved against an earlier run of the same input: customers matched by id
/// (a customer listed twice in a run counts once, by its first row).
public struct ScoreChanges: Sendable, Equatable {
    /// One customer whose churn probability moved.
    public struct Mover: Sendable, Equatable {
        public var customerId: String
        public var previousProbability: Double
        public var probability: Double
        public var change: Double { probability - previousProbability }
    }

    /// The run compared against.
    public var previousRunId: Int64
    /// Customers in both runs.
    public var matched: Int
    /// Customers in this run only.
    public var added: Int
    /// Customers at High risk now who were not at High risk before (or were absent).
    public var newlyHigh: Int
    /// Matched customers whose probability went down, and their mean change (≤ 0; 0 when none).
    public var improved: Int
    public var meanImprovement: Double
    /// Matched customers whose probability went up, and their mean change (≥ 0; 0 when none).
    public var worsened: Int
    public var meanWorsening: Double
    /// The mean change of probability over all matched customers (0 when none).
    public var meanChange: Double
    /// The largest moves either way, largest first (ties in this run's input order).
    public var topMovers: [Mover]
}

extension RunStore {
    /// How run `runId` moved against the previous succeeded run of the same input (by file name),
    /// or nil when there is none. Reads both runs' ids, probabilities and levels from their
    /// blocks; the previous run is held in an `IdSet` (id bytes by hash) while this run is read.
    public func scoreChanges(runId: Int64, top: Int = 10) throws -> ScoreChanges? {
        guard let run = try self.run(id: runId),
              let previous = try previousRun(inputName: run.inputName, before: runId) else { return nil }
        return try scoreChanges(runId: runId, previousRunId: previous.id, top: top)
    }

    /// How run `runId` moved against run `previousRunId`.
    public func scoreChanges(runId: Int64, previousRunId: Int64, top: Int = 10) throws -> ScoreChanges {
        try locked {
            // The previous run's ids in an IdSet (bytes and hashes, no String per row), with each
            // first row's probability and level at its insertion number.
            var before = IdSet(capacity: try rowCountLocked(runId: previousRunId))
            var previousProbability: [Float] = []
            var previousLevel: [UInt8] = []
            try forEachRowLocked(runId: previousRunId) { id, p, level in
                if before.insert(id, hash: CustomerIndex.hash(id)) {
                    previousProbability.append(p)
                    previousLevel.append(level)
                }
            }
            // A customer counts once, by its first row: one flag per previous customer, and a set
            // for the (few) customers the previous run did not have.
            var matchedBefore = [Bool](repeating: false, count: before.count)
            var seenAdded = IdSet()
            // Runs of one input list customers in about the same order: the previous run's next
            // customer is compared first, and only a miss pays for a hash probe.
            var cursor = 0
            var changes = ScoreChanges(previousRunId: previousRunId, matched: 0, added: 0, newlyHigh: 0, improved: 0,
                                       meanImprovement: 0, worsened: 0, meanWorsening: 0, meanChange: 0, topMovers: [])
            var sumDown = 0.0, sumUp = 0.0
            var movers: [(mover: ScoreChanges.Mover, order: Int)] = []
            // Once `movers` holds the `top` largest so far, a move no larger than the smallest of
            // them (and later in input order) can never enter: it is not even turned into a String.
            var cutoff = -1.0
            var order = 0
            try forEachRowLocked(runId: runId) { id, p, level in
                var k: Int?
                if cursor < before.count && before.equals(at: cursor, id) {
                    k = cursor
                } else {
                    let h = CustomerIndex.hash(id)
                    k = before.index(of: id, hash: h)
                    if k == nil {
                        guard seenAdded.insert(id, hash: h) else { return }
                    }
                }
                if let k {
                    guard !matchedBefore[k] else { return }
                    matchedBefore[k] = true
                    cursor = k + 1
                }
                if level == RiskLevel.high.rawValue && (k == nil || previousLevel[k!] != RiskLevel.high.rawValue) { changes.newlyHigh += 1 }
                guard let k else {
                    changes.added += 1
                    return
                }
                changes.matched += 1
                let old = previousProbability[k]
                let change = Double(p) - Double(old)
                if change < 0 {
                    changes.improved += 1
                    sumDown += change
                } else if change > 0 {
                    changes.worsened += 1
                    sumUp += change
                }
                if change != 0 && top > 0 && abs(change) > cutoff {
                    movers.append((ScoreChanges.Mover(customerId: String(decoding: id, as: UTF8.self), previousProbability: Double(old),
                                                      probability: Double(p)), order))
                    if movers.count >= 4 * top + 1024 {
                        Self.keepLargest(&movers, top)
                        if movers.count == top { cutoff = abs(movers[top - 1].mover.change) }
                    }
                }
                order += 1
            }
            Self.keepLargest(&movers, top)
            changes.meanImprovement = changes.improved > 0 ? sumDown / Double(changes.improved) : 0
            changes.meanWorsening = changes.worsened > 0 ? sumUp / Double(changes.worsened) : 0
            changes.meanChange = changes.matched > 0 ? (sumDown + sumUp) / Double(changes.matched) : 0
            changes.topMovers = movers.map(\.mover)
            return changes
        }
    }

    private func rowCountLocked(runId: Int64) throws -> Int {
        let s = try db.prepare("SELECT coalesce(sum(row_count), 0) FROM prediction_blocks WHERE run_id = ?", "count rows of run \(runId)")
        s.bind(1, runId)
        return try s.step() ? Int(s.int64(0)) : 0
    }

    private static func keepLargest(_ movers: inout [(mover: ScoreChanges.Mover, order: Int)], _ top: Int) {
        movers.sort { a, b in
            abs(a.mover.change) != abs(b.mover.change) ? abs(a.mover.change) > abs(b.mover.change) : a.order < b.order
        }
        if movers.count > top { movers.removeLast(movers.count - top) }
    }

    /// Calls `body` with every row's id bytes (valid during the call), probability and level code, in input order.
    private func forEachRowLocked(runId: Int64, _ body: (UnsafeRawBufferPointer, Float, UInt8) throws -> Void) throws {
        let s = try db.prepare("SELECT block, row_count, scores, ids FROM prediction_blocks WHERE run_id = ? ORDER BY block",
                               "read the scores of run \(runId)")
        s.bind(1, runId)
        while try s.step() {
            let block = Int(s.int64(0)), n = Int(s.int64(1))
            do {
                let columns = try DecodedBlock.scores(s.blob(2), rowCount: n)
                let (bytes, starts) = try DecodedBlock.ids(s.blob(3), rowCount: n)
                try bytes.withUnsafeBytes { all in
                    for row in 0..<n {
                        let bits = UInt32(littleEndian: columns.probabilities.loadUnaligned(fromByteOffset: 4 * row, as: UInt32.self))
                        let id = UnsafeRawBufferPointer(rebasing: all[starts[row]..<starts[row + 1]])
                        try body(id, Float(bitPattern: bits), columns.levels[row])
                    }
                }
            } catch is ByteSource.Damaged {
                throw StoreError(operation: "read the scores of run \(runId)", message: "block \(block) is damaged", path: path)
            }
        }
    }
}
