import Foundation
import ChurnCore
import ChurnEngine
import ChurnIO
import ChurnWire

/// Scoring one shard on a pool thread: bytes in, a SHARD_RESULT frame out.
enum ShardJob {
    enum Reply {
        /// The SHARD_RESULT frame as buffers to write back to back (the rows are not copied).
        case result(frame: [[UInt8]], rows: UInt64, rejected: UInt64)
        case failure(ErrorCode, String)
    }

    /// Fault injection for tests of poison-shard handling: a worker started with
    /// CHURN_WORKER_CRASH_ON=TEXT aborts on any shard whose bytes contain TEXT.
    static let crashTrigger: [UInt8]? = ProcessInfo.processInfo.environment["CHURN_WORKER_CRASH_ON"].map { Array($0.utf8) }

    static func run(_ shard: Message.ScoreShard, model: CompiledModel, requestId: UInt64) -> Reply {
        if let trigger = crashTrigger, shard.rows.withUnsafeBytes({ contains($0, trigger) }) {
            fatalError("CHURN_WORKER_CRASH_ON matched shard \(shard.shardId): crashing on purpose")
        }
        let binding: ColumnBinding
        do {
            binding = try ColumnBinding(header: shard.columns, model: model.model, file: "shard \(shard.shardId)")
        } catch {
            return .failure(.badShard, "\(error)")
        }
        let scorer = ShardScorer(model: model, binding: binding, rankBy: shard.rankBy, topLimit: Int(shard.topK))
        var rows = RowResultWriter(capacity: shard.rows.count)
        var aggregate = scorer.makeAggregate()
        shard.rows.withUnsafeBytes { scorer.score($0, firstLine: shard.firstLine, sink: &rows, aggregate: &aggregate) }
        let result = Message.ShardResult(shardId: shard.shardId, attempt: shard.attempt, rows: rows, aggregate: aggregate)
        let (head, tail) = result.encodeParts(requestId: requestId)
        return .result(frame: [head, rows.bytes, tail], rows: aggregate.rowsScored, rejected: aggregate.rowsRejected)
    }

    private static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return needle.withUnsafeBytes { n in
            for start in 0...(haystack.count - n.count) where haystack[start] == n[0] {
                if memcmp(haystack.baseAddress! + start, n.baseAddress!, n.count) == 0 { return true }
            }
            return false
        }
    }
}
