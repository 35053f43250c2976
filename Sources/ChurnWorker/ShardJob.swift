import Foundation
import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnIO
import ChurnWire

/// Scoring one shard on a pool thread: bytes in, a SHARD_RESULT frame out (the results CSV formatted
/// here, and the history chunk when asked, so the coordinator only copies them).
enum ShardJob {
    enum Reply {
        /// The SHARD_RESULT frame as buffers to write back to back (the CSV is not copied into the frame).
        case result(frame: [[UInt8]], rows: UInt64, rejected: UInt64)
        case failure(ErrorCode, String)
    }

    /// Fault injection for tests of poison-shard handling: a worker started with
    /// CHURN_WORKER_CRASH_ON=TEXT aborts on any shard whose bytes contain TEXT.
    static let crashTrigger: [UInt8]? = ProcessInfo.processInfo.environment["CHURN_WORKER_CRASH_ON"].map { Array($0.utf8) }

    static func run(_ shard: Message.ScoreShard, loaded: LoadedModel, requestId: UInt64) -> Reply {
        let model = loaded.compiled
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
        var aggregate = scorer.makeAggregate()
        // The same formatter, with the same reservation, as in-process scoring: byte-identical results.
        var formatter = ResultCSVFormatter(names: loaded.names, capacity: shard.rows.count * 7 / 4 + 4096)
        var history: PredictionBlockBuilder? = nil
        shard.rows.withUnsafeBytes { raw in
            if shard.withHistory {
                let builder = loaded.recording.makeChunk(firstLine: shard.firstLine)
                var tee = TeeSink(first: formatter, second: builder)
                scorer.score(raw, firstLine: shard.firstLine, sink: &tee, aggregate: &aggregate)
                formatter = tee.first
                history = builder
            } else {
                scorer.score(raw, firstLine: shard.firstLine, sink: &formatter, aggregate: &aggregate)
            }
        }
        let block = formatter.finish()
        let csv = block.array
        let chunk = history.map(Self.wireChunk)
        if let history { loaded.recording.recycle(history) }
        let result = Message.ShardResult(shardId: shard.shardId, attempt: shard.attempt, rowCount: UInt32(aggregate.rowsScored),
                                         csv: csv[...], history: chunk, aggregate: aggregate)
        let (head, tail) = result.encodeParts(requestId: requestId)
        return .result(frame: [head, csv, tail], rows: aggregate.rowsScored, rejected: aggregate.rowsRejected)
    }

    /// A builder's rows in the wire's form (each column copied out, then into the frame's tail).
    private static func wireChunk(_ b: PredictionBlockBuilder) -> HistoryChunk {
        let p = b.parts
        var columns: [ArraySlice<UInt8>] = []
        columns.reserveCapacity(b.columnCount)
        b.forEachColumn { columns.append(Array($0)[...]) }
        return HistoryChunk(firstLine: p.firstLine, lastLine: p.lastLine, linesConsecutive: p.linesConsecutive,
                            lowCount: UInt32(p.levelCounts.low), mediumCount: UInt32(p.levelCounts.medium),
                            highCount: UInt32(p.levelCounts.high), columns: columns)
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
