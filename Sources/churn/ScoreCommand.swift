import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnReport
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
    @Option(help: "The model file, or @champion / @N for the registry's champion or version N (registry in --db).") var model: String
    @Option(help: "Where to write the per-customer results CSV.") var out: String
    @Option(help: "How many of the riskiest customers to list.") var top: Int = 10
    @Option(help: "Ranking of the top list: combined (risk and health), risk (probability), revenue (expected revenue lost).")
    var rankBy: RankBy = .combined
    @Option(help: "Also write the summary as JSON to this file.") var summaryJson: String?
    @Option(help: "Write a self-contained HTML report to this file.") var report: String?
    @Option(help: "SQLite history file recording the run and every prediction (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).")
    var db: String?
    @Flag(help: "Do not record this run in the history.") var noHistory = false
    @Option(help: "Override the model's health scorecard, intervention rules or risk thresholds (JSON).") var policy: String?
    @Option(help: "Worksheet of an XLSX input (default: the first).") var sheet: String?
    @Option(help: "Scoring threads for in-process scoring.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Bytes per chunk or shard.") var shardBytes: Int = 1 << 20
    @Option(help: "Comma-separated worker addresses HOST:PORT to score on.") var workers: String?
    @Option(help: "A cluster host-list file (see cluster/README.md).") var cluster: String?
    @Option(help: "Start this many worker processes on this machine and score on them.") var local: Int?
    @Option(help: "File holding the cluster's shared secret.") var secretFile: String?
    @Option(help: "Coordinator log level (trace … critical).") var logLevel: String = "warning"
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "Company name used in the report's e-mail drafts (default: the policy file's email.company; none: no company named).")
    var company: String?
    @Option(help: "Person who signs the report's e-mail drafts (default: the policy file's email.sender).") var sender: String?

    func run() throws {
        try runReportingErrors {
            guard top >= 0 else { throw CLIError("--top must be 0 or more") }
            let reference = try ModelReference(argument: model)
            let resolved = try reference.resolve(registryPath: db ?? RunHistory.defaultPath, policyPath: policy)
            let loaded = resolved.loaded
            let compiled = try CompiledModel(loaded.model)
            if rankBy == .revenue && loaded.model.revenueColumn == nil {
                throw CLIError("--rank-by revenue needs a revenue column, and \(model) has none (train with --revenue COL)")
            }
            MemoryTuning.reuseLargeBuffers()
            Interruption.install()
            guard FileManager.default.fileExists(atPath: input) else { throw CLIError("\(input): No such file") }
            try checkPaths()
            // Every output goes to a temporary file first and is moved into place only once the whole
            // run has succeeded, results last: on exit 1 no results file appears.
            let results = try OutputFile(path: out)
            let summaryFile = try summaryJson.map { try OutputFile(path: $0) }
            let reportFile = try report.map { try OutputFile(path: $0) }
            let outputsCleanup = Interruption.onInterrupt { [results, summaryFile, reportFile] in
                results.abort()
                summaryFile?.abort()
                reportFile?.abort()
            }
            defer { Interruption.remove(outputsCleanup) }
            let history = noHistory ? nil : try RunHistory(path: db ?? RunHistory.defaultPath, inputPath: input, modelPath: resolved.name,
                                                             model: loaded, compiled: compiled, rankBy: rankBy)
            let historyCleanup = history.map { h in Interruption.onInterrupt { h.fail(CLIError("interrupted")) } }
            defer { historyCleanup.map(Interruption.remove) }
            let started = Date()
            let outcome: ScoringOutcome
            var summary: RunSummary
            do {
                if workers != nil || cluster != nil || local != nil {
                    outcome = try ClusterScoring(command: self, output: results, loaded: loaded, compiled: compiled, history: history).run()
                } else {
                    outcome = try runInProcess(compiled, output: results, history: history)
                }
                summary = RunSummary(input: input, inputBytes: outcome.inputBytes, output: out, model: resolved.name,
                                     modelHash: loaded.hashHex, rankBy: rankBy, engine: outcome.engine,
                                     seconds: Date().timeIntervalSince(started), aggregate: outcome.aggregate,
                                     revenueColumn: loaded.model.revenueColumn, driftModel: loaded.model)
                if let history {
                    summary.runId = history.runId
                    summary.newlyHighRisk = try history.finish(summaryJSON: String(decoding: try summary.jsonData(), as: UTF8.self),
                                                               aggregate: outcome.aggregate)
                }
            } catch {
                history?.fail(error)
                throw error
            }
            if let summaryFile {
                try summaryFile.write([UInt8](try summary.jsonData()))
            }
            if let reportFile {
                let html = HTMLReport.render(ReportInput(
                    title: "Churn risk report: \((input as NSString).lastPathComponent)",
                    input: .init(name: (input as NSString).lastPathComponent, bytes: Int64(outcome.inputBytes), fingerprint: (try? RunHistory.quickFingerprint(path: input).text) ?? ""),
                    model: .init(model: loaded.model, hash: loaded.hashHex),
                    run: .init(id: history?.runId, workers: outcome.workers, durationSeconds: summary.seconds,
                               rowsPerSecond: summary.rowsPerSecond, rankBy: rankBy),
                    aggregate: outcome.aggregate, newlyHighRisk: summary.newlyHighRisk ?? [],
                    previousRun: history?.previousRun.map { "run \($0.id) of \($0.startedAt)" },
                    sender: .init(company: company ?? loaded.email?.company, name: sender ?? loaded.email?.sender),
                    audience: loaded.model.looksLikeBusinessAccounts ? .business : .consumer,
                    hasRevenue: loaded.model.revenueColumn != nil))
                try reportFile.write(Array(html.utf8))
            }
            try summaryFile?.commit()
            try reportFile?.commit()
            try results.commit()
            print(SummaryText.render(summary), terminator: "")
            if let report { print("Report: \(report)") }
            if let summaryJson { print("Summary JSON: \(summaryJson)") }
            if let history { print("History: run \(history.runId) in \(history.store.path)") }
        }
    }

    /// Outputs may not overwrite an input of the run, nor each other.
    private func checkPaths() throws {
        var inputs = [("the input", input)]
        if case .file(let path) = try ModelReference(argument: model) { inputs.append(("the model", path)) }
        if let policy { inputs.append(("the policy", policy)) }
        if let secretFile { inputs.append(("the secret file", secretFile)) }
        if let cluster { inputs.append(("the cluster file", cluster)) }
        if !noHistory { inputs.append(("the history database", db ?? RunHistory.defaultPath)) }
        var outputs = [("--out", out)]
        if let summaryJson { outputs.append(("--summary-json", summaryJson)) }
        if let report { outputs.append(("--report", report)) }
        try OutputPaths.check(inputs: inputs, outputs: outputs)
    }

    private func runInProcess(_ compiled: CompiledModel, output: OutputFile, history: RunHistory?) throws -> ScoringOutcome {
        let scorer = LocalScorer(model: compiled, rankBy: rankBy, topLimit: top, threads: threads)
        scorer.recording = history?.recording
        let (aggregate, inputBytes) = try ResultsWriting.run(self, output: output, model: compiled, history: history, progressUnit: "threads") {
            try scorer.run(reader: $0, consume: $1, progress: $2)
        }
        return ScoringOutcome(aggregate: aggregate, inputBytes: inputBytes, engine: "in-process, \(threads) thread\(threads == 1 ? "" : "s")", workers: 0)
    }
}

/// What a scoring run produced, whichever engine ran it.
struct ScoringOutcome {
    var aggregate: ScoreAggregate
    var inputBytes: Int
    var engine: String
    /// Worker processes used (0 for in-process scoring).
    var workers: Int
}

extension RankBy: ExpressibleByArgument {}
