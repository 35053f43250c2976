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
        /// The SHARD_RESULT frame as `head`, the formatter's CSV bytes and `tail`, to write back to back
        /// (the CSV is copied neither out of the formatter nor into the frame).
        case result(head: [UInt8], csv: ByteBlock, tail: [UInt8], rows: UInt64, rejected: UInt64)
        /// A SHARD_RESULT_SPOOLED frame whole: the CSV is already in the spool file at `path` (which
        /// the connection removes if it does not send the frame).
        case spooled(frame: [UInt8], path: String, rows: UInt64, rejected: UInt64)
        case failure(ErrorCode, String)
    }

    /// Fault injection for tests of poison-shard handling: a worker started with
    /// CHURN_WORKER_CRASH_ON=TEXT aborts on any shard whose bytes contain TEXT.
    static let crashTrigger: [UInt8]? = ProcessInfo.processInfo.environment["CHURN_WORKER_CRASH_ON"].map { Array($0.utf8) }

    /// - Parameter spool: where to write the results CSV (the connection asked SPOOL_RESULTS); nil, or
    ///   a file that cannot be written, sends it in the frame.
    static func run(_ shard: Message.ScoreShard, loaded: LoadedModel, requestId: UInt64, spool: ResultSpool? = nil) -> Reply {
        shard.rows.withUnsafeBytes { run(shard, rows: $0, loaded: loaded, requestId: requestId, spool: spool) }
    }

    /// As `run(_:loaded:requestId:spool:)`, with the rows given apart from the shard's fields (a
    /// shard by reference: a mapped range of the input file).
    static func run(_ shard: Message.ScoreShard, rows: UnsafeRawBufferPointer, loaded: LoadedModel, requestId: UInt64,
                    spool: ResultSpool? = nil) -> Reply {
        let model = loaded.compiled
        if let trigger = crashTrigger, contains(rows, trigger) {
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
        var formatter = ResultCSVFormatter(names: loaded.names, capacity: rows.count * 7 / 4 + 4096)
        var history: PredictionBlockBuilder? = nil
        if shard.withHistory {
            let builder = loaded.recording.makeChunk(firstLine: shard.firstLine)
            var tee = TeeSink(first: formatter, second: builder)
            scorer.score(rows, firstLine: shard.firstLine, sink: &tee, aggregate: &aggregate)
            formatter = tee.first
            history = builder
        } else {
            scorer.score(rows, firstLine: shard.firstLine, sink: &formatter, aggregate: &aggregate)
        }
        let csv = formatter.finish()
        let result = Message.ShardResult(shardId: shard.shardId, attempt: shard.attempt, rowCount: UInt32(aggregate.rowsScored),
                                         csv: [], history: history.map(Self.wireChunk), aggregate: aggregate)
        if let spool {
            let name = spool.name(shardId: shard.shardId, attempt: shard.attempt)
            if spool.write(csv.bytes, name: name) {
                let spooled = Message.SpooledShardResult(result: result, file: name, csvLength: UInt64(csv.count))
                let frame = spooled.encode(requestId: requestId, historyColumns: history.map(Self.columnSource))
                if let history { loaded.recording.recycle(history) }
                return .spooled(frame: frame, path: spool.path(of: name), rows: aggregate.rowsScored,
                                rejected: aggregate.rowsRejected)
            }
        }
        // The history columns go from the builder straight into the frame's tail.
        let (head, tail) = result.encodeParts(requestId: requestId, csvBytes: csv.bytes,
                                              historyColumns: history.map(Self.columnSource))
        if let history { loaded.recording.recycle(history) }
        return .result(head: head, csv: csv, tail: tail, rows: aggregate.rowsScored, rejected: aggregate.rowsRejected)
    }

    /// A builder's chunk in the wire's form, without its columns (`columnSource` gives them).
    private static func wireChunk(_ b: PredictionBlockBuilder) -> HistoryChunk {
        let p = b.parts
        return HistoryChunk(firstLine: p.firstLine, lastLine: p.lastLine, linesConsecutive: p.linesConsecutive,
                            lowCount: UInt32(p.levelCounts.low), mediumCount: UInt32(p.levelCounts.medium),
                            highCount: UInt32(p.levelCounts.high), columns: [])
    }

    /// The builder's columns as they are, for framing without a copy into arrays.
    private static func columnSource(_ b: PredictionBlockBuilder) -> HistoryColumnSource {
        var bytes = 0
        b.forEachColumn { bytes += $0.count }
        return HistoryColumnSource(count: b.columnCount, byteCount: bytes) { body in b.forEachColumn(body) }
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
