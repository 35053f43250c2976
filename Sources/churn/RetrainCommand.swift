import ArgumentParser
import ChurnCoordinator
import ChurnCore
import Foundation

/// `churn retrain`: champion against challenger on the same held-out rows.
struct RetrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrain",
        abstract: "Train a challenger on a labelled file, compare it with the champion on the same held-out rows, register it, and promote it if it is at least as good.",
        discussion: """
            The file is split by label (stratified) with a seeded shuffle: --holdout of each label's \
            rows are held out, the rest train the challenger. Champion and challenger are both \
            measured on the held-out rows. The challenger is always registered; it becomes champion \
            only if its ROC AUC is at most --max-auc-drop below the champion's (default 0: not lower) \
            and its log loss at most --max-log-loss-rise above it (default 0.02: 2% higher). \
            Exit status 0 whether or not it was promoted.
            """)

    @Argument(help: "Labelled data (CSV or XLSX).") var labelledFile: String
    @OptionGroup var training: TrainingOptions
    @Option(help: "Fraction of rows held out for the comparison.") var holdout: Double = 0.2
    @Option(help: "Seed of the split.") var seed: UInt64 = 1
    @Option(help: "Measure both models on this labelled file instead of holding out rows (the whole input then trains the challenger).")
    var holdoutFile: String?
    @Option(help: "Largest allowed drop of ROC AUC against the champion (0.01 = one hundredth).") var maxAucDrop: Double = 0
    @Option(help: "Largest allowed rise of log loss against the champion, as a fraction (0.02 = 2%).") var maxLogLossRise: Double = 0.02
    @Flag(help: "Print one JSON object: promoted, champion, challenger, rule, reasons.") var json = false
    @Option(help: "History database holding the model registry (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).")
    var db: String?

    func run() throws {
        try runReportingErrors {
            guard maxAucDrop >= 0, maxLogLossRise >= 0 else { throw CLIError("--max-auc-drop and --max-log-loss-rise must be 0 or more") }
            let (table, fingerprint) = try TableInput.read(path: labelledFile, sheet: training.sheet)
            let holdoutTable = try holdoutFile.map { try TableInput.read(path: $0, sheet: training.sheet).0 }
            let registry = try RegistryAccess.open(db)
            let outcome = try Retraining.run(Retraining.Request(
                table: table, fingerprint: fingerprint, options: training.trainerOptions, holdout: holdout, seed: seed,
                rule: PromotionRule(maxAUCDrop: maxAucDrop, maxLogLossRise: maxLogLossRise), holdoutTable: holdoutTable), registry: registry)
            if json {
                print(try RegistryAccess.json(outcome))
                return
            }
            if let holdoutFile {
                print("Trained challenger on \(outcome.trainingRows) rows of \(labelledFile); measured on \(outcome.holdoutRows) rows of \(holdoutFile)")
            } else {
                print("Trained challenger on \(outcome.trainingRows) rows of \(labelledFile); held out \(outcome.holdoutRows) rows (\(Int((holdout * 100).rounded()))%, stratified, seed \(seed))")
            }
            let c = outcome.challenger
            let columns: [(String, Retraining.Side?)] = [("champion" + (outcome.champion.map { " v\($0.version)" } ?? ""), outcome.champion),
                                                         ("challenger v\(c.version)", c)]
            print("                    " + columns.map { $0.0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
            func row(_ name: String, _ value: (Retraining.Side) -> Double) {
                print("  " + name.padding(toLength: 18, withPad: " ", startingAt: 0)
                      + columns.map { ($0.1.map { String(format: "%.4f", value($0)) } ?? "—").padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
            }
            row("accuracy", { $0.metrics.accuracy })
            row("ROC AUC", { $0.metrics.auc })
            row("PR AUC", { $0.metrics.prAuc })
            row("log loss", { $0.metrics.logLoss })
            row("Brier", { $0.metrics.brier })
            row("calibration err.", { $0.calibration.error })
            print("Calibration (predicted → observed churn rate, rows):")
            for (name, side) in columns {
                guard let side else { continue }
                let bins = side.calibration.bins.filter { $0.rows > 0 }
                    .map { String(format: "%.2f→%.2f (%d)", $0.predicted, $0.observed, $0.rows) }
                print("  \(name): " + bins.joined(separator: ", "))
            }
            print("Rule: \(outcome.rule.text)")
            for reason in outcome.reasons { print("  \(reason)") }
            print("Registered model version \(c.version)")
            if outcome.promoted {
                print("Promoted: model version \(c.version) is the champion")
            } else {
                print("Not promoted: the champion stays model version \(outcome.champion?.version ?? 0) (promote by hand with churn models promote \(c.version))")
            }
        }
    }
}
