import ArgumentParser
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every customer of a CSV or XLSX file; write results in input order and print a summary.",
        discussion: """
            Without --workers, --cluster or --local the file is scored in this process on all cores. \
            With them, a coordinator cuts the file into shards and scores them on worker processes over \
            churn's binary protocol; the results are byte-identical either way.
            A bad row is reported with its line and skipped; the rest is scored.
            """)

    @Argument(help: "Customers to score (CSV or XLSX).") var input: String
    @Option(help: "The model file.") var model: String
    @Option(help: "Where to write the per-customer results CSV.") var out: String
    @Option(help: "How many of the riskiest customers to list.") var top: Int = 10
    @Option(help: "Ranking of the top list: combined (risk and health), risk (probability), revenue (expected revenue lost).")
    var rankBy: RankBy = .combined
    @Option(help: "Also write the summary as JSON to this file.") var summaryJson: String?
    @Option(help: "Write a self-contained HTML report to this file.") var report: String?
    @Option(help: "Record the run and every prediction in this SQLite history file.") var db: String?
    @Option(help: "Override the model's health scorecard, intervention rules or risk thresholds (JSON).") var policy: String?
    @Option(help: "Worksheet of an XLSX input (default: the first).") var sheet: String?
    @Option(help: "Scoring threads for in-process scoring (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Bytes per chunk or shard.") var shardBytes: Int = 1 << 20
    @Option(help: "Comma-separated worker addresses HOST:PORT to score on.") var workers: String?
    @Option(help: "A cluster host-list file (see cluster/README.md).") var cluster: String?
    @Option(help: "Start this many worker processes on this machine and score on them.") var local: Int?
    @Option(help: "File holding the cluster's shared secret.") var secretFile: String?
    @Option(help: "Coordinator log level (trace … critical).") var logLevel: String = "warning"
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        try runReportingErrors {
            guard top >= 0 else { throw CLIError("--top must be 0 or more") }
            let loaded = try ModelFile.load(path: model, policyPath: policy)
            let compiled = try CompiledModel(loaded.model)
            let history = try db.map { try HistoryRecorder(path: $0, input: input, model: model, loaded: loaded, rankBy: rankBy) }
            let started = Date()
            MemoryTuning.reuseLargeBuffers()
            let outcome: ScoringOutcome
            do {
                if workers != nil || cluster != nil || local != nil {
                    outcome = try ClusterScoring(command: self, loaded: loaded, compiled: compiled, history: history).run()
                } else {
                    outcome = try runInProcess(compiled, history: history)
                }
            } catch {
                history?.fail(error)
                throw error
            }
            let seconds = Date().timeIntervalSince(started)
            var summary = RunSummary(input: input, inputBytes: outcome.inputBytes, output: out, model: model,
                                     modelHash: loaded.hashHex, rankBy: rankBy, engine: outcome.engine, seconds: seconds,
                                     aggregate: outcome.aggregate, revenueColumn: loaded.model.revenueColumn)
            if let history { try history.finish(&summary) }
            if let summaryJson {
                guard FileManager.default.createFile(atPath: summaryJson, contents: try summary.jsonData()) else {
                    throw CLIError("\(summaryJson): cannot be written")
                }
            }
            if let report {
                try ReportWriter.write(summary: summary, loaded: loaded, to: report)
            }
            print(SummaryText.render(summary), terminator: "")
            if let report { print("Report: \(report)") }
            if let summaryJson { print("Summary JSON: \(summaryJson)") }
        }
    }

    private func runInProcess(_ compiled: CompiledModel, history: HistoryRecorder?) throws -> ScoringOutcome {
        let (reader, cleanup) = try InputFiles.openChunks(path: input, sheet: sheet, chunkSize: shardBytes)
        defer { cleanup() }
        let output = try OutputFile(path: out)
        try output.write(Array(ResultCSVFormatter.header(idColumn: compiled.model.idColumn).utf8))
        let scorer = LocalScorer(model: compiled, rankBy: rankBy, topLimit: top, threads: threads)
        scorer.recordRows = history != nil
        let progress = ProgressPrinter(enabled: !quiet)
        let aggregate = try scorer.run(reader: reader, consume: { chunk in
            try output.write(chunk.csv)
            if let records = chunk.records { try history?.record(records, firstLine: chunk.firstLine, model: compiled) }
        }, progress: { progress.update($0) })
        progress.finish()
        try output.commit()
        return ScoringOutcome(aggregate: aggregate, inputBytes: reader.fileSize, engine: "in-process, \(threads) thread\(threads == 1 ? "" : "s")")
    }
}

/// What a scoring run produced, whichever engine ran it.
struct ScoringOutcome {
    var aggregate: ScoreAggregate
    var inputBytes: Int
    var engine: String
}

extension RankBy: ExpressibleByArgument {}
