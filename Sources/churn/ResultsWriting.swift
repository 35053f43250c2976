import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

/// What both scoring paths do around their engine: open the input, write the results file (the
/// caller commits it once the whole run has succeeded), record history, show progress.
enum ResultsWriting {
    /// An engine: scores everything `reader` yields, handing each chunk to `consume` in input order.
    typealias Engine = (_ reader: ChunkReader, _ consume: @escaping (ScoredChunk) throws -> Void,
                        _ progress: @escaping (ScoreProgress) -> Void) throws -> ScoreAggregate

    static func run(_ command: ScoreCommand, output: OutputFile, model: CompiledModel, history: RunHistory?, progressUnit: String,
                    engine: Engine) throws -> (aggregate: ScoreAggregate, inputBytes: Int) {
        // A temporary CSV converted from an XLSX input is removed on interruption too.
        let temporaryCSV = InputFiles.isXLSX(command.input) ? InputFiles.temporaryCSVPath() : nil
        let temporaryCleanup = temporaryCSV.map { path in Interruption.onInterrupt { unlink(path) } }
        defer { temporaryCleanup.map(Interruption.remove) }
        let (reader, cleanup) = try InputFiles.openChunks(path: command.input, sheet: command.sheet, chunkSize: command.shardBytes,
                                                          temporaryCSV: temporaryCSV)
        defer { cleanup() }
        try output.write(Array(ResultCSVFormatter.header(idColumn: model.model.idColumn).utf8))
        let progress = ProgressPrinter(enabled: !command.quiet)
        progress.unit = progressUnit
        let aggregate = try engine(reader, { chunk in
            try output.write(chunk.csv)
            if let rows = chunk.history { try history?.record(rows) }
        }, { progress.update($0) })
        progress.finish()
        return (aggregate, reader.fileSize)
    }
}
