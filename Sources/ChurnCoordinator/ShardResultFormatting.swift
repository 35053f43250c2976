import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnWire

/// Turns a worker's SHARD_RESULT into the chunk the writer expects. The worker formatted the results
/// CSV with the in-process formatter and encoded the history chunk with the in-process builder, so
/// this only copies bytes: no work per row.
enum ShardResultFormatting {
    static func format(_ shard: CompletedShard, recording: PredictionRecording?, topLimit: Int) throws -> ScoredChunk {
        let history = recording?.makeChunk(firstLine: shard.firstLine)
        guard let result = shard.result else {
            var aggregate = ScoreAggregate(topLimit: topLimit)
            if let poison = shard.poison { aggregate.reject(poison, rows: max(1, shard.lineCount)) }
            return ScoredChunk(index: shard.index, firstLine: shard.firstLine, csv: ByteWriter(capacity: 64).finish(),
                               aggregate: aggregate, history: history)
        }
        // The frame's CSV bytes (or the spooled file's, mapped) go to the output file as they are.
        let csv = try shard.csvFile?.bytes() ?? ByteBlock(keeping: result.csv)
        if let history, let chunk = result.history {
            // Checked against the run's columns when it arrived (`WorkerLink.historyProblem`).
            try withColumnPointers(chunk.columns) { try history.load(chunk.parts, columns: $0) }
        }
        return ScoredChunk(index: shard.index, firstLine: shard.firstLine, csv: csv, aggregate: result.aggregate,
                           history: history)
    }

    private static func withColumnPointers<R>(_ columns: [ArraySlice<UInt8>], _ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        // Slices of one frame payload: their storage stays put while `columns` holds them.
        var pointers: [UnsafeRawBufferPointer] = []
        pointers.reserveCapacity(columns.count)
        func next(_ i: Int) throws -> R {
            guard i < columns.count else { return try body(pointers) }
            return try columns[i].withUnsafeBytes { p in
                pointers.append(p)
                return try next(i + 1)
            }
        }
        return try next(0)
    }
}

extension HistoryChunk {
    /// The chunk's numbers as the history format takes them.
    var parts: PredictionChunkParts {
        PredictionChunkParts(rowCount: rowCount, firstLine: firstLine, lastLine: lastLine, linesConsecutive: linesConsecutive,
                             levelCounts: (Int(lowCount), Int(mediumCount), Int(highCount)))
    }
}
