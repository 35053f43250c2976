import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnWire

/// Turns a worker's binary rows into results CSV (and history records), through the same formatter
/// as in-process scoring, so the output is byte-identical.
enum ShardResultFormatting {
    static func format(_ shard: CompletedShard, names: ResultCSVFormatter.NameTable, recording: PredictionRecording?,
                       topLimit: Int) throws -> ScoredChunk {
        let history = recording?.makeChunk(firstLine: shard.firstLine)
        guard let result = shard.result else {
            var aggregate = ScoreAggregate(topLimit: topLimit)
            if let poison = shard.poison { aggregate.reject(poison, rows: max(1, shard.lineCount)) }
            return ScoredChunk(index: shard.index, firstLine: shard.firstLine, csv: ByteWriter(capacity: 64).finish(),
                               aggregate: aggregate, history: history)
        }
        var formatter = ResultCSVFormatter(names: names, capacity: result.rows.count * 2 + 4096)
        try result.forEachRow { row in
            formatter.append(lineOffset: row.lineOffset, id: row.id, score: row.score)
            history?.append(lineOffset: row.lineOffset, id: row.id, score: row.score)
        }
        return ScoredChunk(index: shard.index, firstLine: shard.firstLine, csv: formatter.finish(), aggregate: result.aggregate,
                           history: history)
    }
}
