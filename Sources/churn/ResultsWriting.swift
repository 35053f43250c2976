import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

/// What both scoring paths do around their engine: open the input, write the results file (only
/// committed when complete, removed on interruption), record history, show progress.
enum ResultsWriting {
    /// An engine: scores everything `reader` yields, handing each chunk to `consume` in input order.
    typealias Engine = (_ reader: ChunkReader, _ consume: @escaping (ScoredChunk) throws -> Void,
                        _ progress: @escaping (ScoreProgress) -> Void) throws -> ScoreAggregate

    static func run(_ command: ScoreCommand, model: CompiledModel, history: RunHistory?, progressUnit: String,
                    engine: Engine) throws -> (aggregate: ScoreAggregate, inputBytes: Int) {
        let (reader, cleanup) = try InputFiles.openChunks(path: command.input, sheet: command.sheet, chunkSize: command.shardBytes)
        defer { cleanup() }
        let output = try OutputFile(path: command.out)
        let outputCleanup = Interruption.onInterrupt { output.abort() }
        defer { Interruption.remove(outputCleanup) }
        try output.write(Array(ResultCSVFormatter.header(idColumn: model.model.idColumn).utf8))
        let progress = ProgressPrinter(enabled: !command.quiet)
        progress.unit = progressUnit
        let aggregate = try engine(reader, { chunk in
            try output.write(chunk.csv)
            if let rows = chunk.history { try history?.record(rows) }
        }, { progress.update($0) })
        progress.finish()
        try output.commit()
        return (aggregate, reader.fileSize)
    }
}
