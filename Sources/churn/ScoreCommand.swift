import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnService
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
    @Option(help: "Symbol put before money amounts, e.g. € or CHF (default: the policy file's currency, else $).") var currency: String?

    func run() throws {
        try runReportingErrors {
            guard top >= 0 else { throw CLIError("--top must be 0 or more") }
            if let currency, let problem = CurrencySymbol.problem(currency) { throw CLIError("--currency: \(problem)") }
            // Said in the flag's own words here; an unreadable model is reported by the service.
            if rankBy == .revenue,
               let loaded = try? ModelReference(argument: model).resolve(registryPath: db ?? RunHistory.defaultPath, policyPath: policy).loaded,
               loaded.model.revenueColumn == nil {
                throw CLIError("--rank-by revenue needs a revenue column, and \(model) has none (train with --revenue COL)")
            }
            Interruption.install()
            guard FileManager.default.fileExists(atPath: input) else { throw CLIError("\(input): No such file") }
            try checkPaths()
            let pool = try makePool()
            MemoryTuning.reuseLargeBuffers(keepFree: pool == nil ? 128 << 20 : 4 << 20)
            defer { pool?.close() }
            let service = ScoringService(configuration: .init(dataDirectory: NSTemporaryDirectory() + "churn-cli",
                                                              defaultDatabasePath: RunHistory.defaultPath))
            let request = ScoringJobRequest(
                input: .file(path: input), model: .file(path: model, policyPath: policy),
                engine: pool.map { .pool($0) } ?? .inProcess(threads: threads),
                outputs: .init(results: out, report: report, summaryJSON: summaryJson),
                history: .init(enabled: !noHistory, databasePath: db),
                rankBy: rankBy, top: top, sheet: sheet, chunkBytes: shardBytes, emailCompany: company, emailSender: sender,
                currencySymbol: currency)
            // On SIGINT/SIGTERM, even one that arrives as the job starts: cancel (the results file and
            // any temporary CSV go, the history run is marked failed), wait for the job to wind down,
            // then stop the local workers.
            let (job, cleanup) = try Interruption.start({ try service.start(request) }) { job in
                job.cancel(reason: "interrupted")
                _ = try? job.wait()
                pool?.close()
            }
            defer { Interruption.remove(cleanup) }
            let rendering = render(job)
            let outcome: JobOutcome
            do {
                outcome = try job.wait()
            } catch is JobCancelled {
                // Only the interrupt handler cancels; it finishes the clean-up and exits 128+signal.
                Interruption.waitForExit()
            }
            rendering.wait()
            print(SummaryText.render(outcome.summary), terminator: "")
            if let report = outcome.reportPath { print("Report: \(report)") }
            if let summaryJson = outcome.summaryJSONPath { print("Summary JSON: \(summaryJson)") }
            if let runId = outcome.historyRunId, let path = outcome.historyPath { print("History: run \(runId) in \(path)") }
        }
    }

    /// Outputs may not overwrite an input of the run, nor each other (said in the flags' words).
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

    /// The worker pool that --workers, --cluster and --local ask for (nil: score in process).
    private func makePool() throws -> WorkerPool? {
        // An XLSX input is scored from a temporary CSV, which its workers are not given: its shards carry their rows.
        try makeWorkerPool(workers: workers, cluster: cluster, local: local, secretFile: secretFile, logLevel: logLevel,
                           inputFile: InputFiles.isXLSX(input) ? nil : input)
    }

    /// Shows the job's progress on stderr until it ends; `wait()` on the result returns once the
    /// last event is drawn.
    private func render(_ job: ScoringJob) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let printer = ProgressPrinter(enabled: !quiet)
        printer.unit = job.snapshot.engine.hasPrefix("in-process") ? "threads" : "workers"
        let events = job.events()
        Task.detached {
            for await event in events {
                if case .progress(let p) = event { printer.update(p) }
            }
            printer.finish()
            done.signal()
        }
        return done
    }
}

extension RankBy: ExpressibleByArgument {}
