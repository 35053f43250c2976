import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a churn model on any customer table and write it as a model file.",
        discussion: """
            Numeric and categorical columns are told apart by their content; categories are one-hot \
            encoded, numbers standardized, blanks filled with the training median. Identifier-like \
            columns (unique text, or unique whole numbers, on every row) are not features, nor are \
            columns named for protected attributes (gender, race, religion, …) unless --allow-sensitive \
            names them. Risk cut points are calibrated to the training churn rate. The fit is L2-regularized logistic \
            regression, the objective of scikit-learn's LogisticRegression(C=1.0), solved by Newton's method.
            """)

    @Argument(help: "Training data (CSV or XLSX).") var trainingFile: String
    @OptionGroup var training: TrainingOptions
    @Option(help: "Where to write the model file (optional with --register).") var out: String?
    @Flag(help: "Also store the model in the model registry (the first one registered becomes champion).") var register = false
    @Option(help: "History database holding the model registry (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).")
    var db: String?

    func run() throws {
        try runReportingErrors {
            guard out != nil || register else { throw CLIError("give --out FILE, --register, or both") }
            let (table, fingerprint) = try TableInput.read(path: trainingFile, sheet: training.sheet)
            let model = try Trainer(options: training.trainerOptions).train(table, fingerprint: fingerprint)
            _ = try CompiledModel(model)
            if let out { try ModelFile.save(model, to: out) }
            let m = model.training.metrics
            print("Trained on \(model.training.rows) rows of \(trainingFile) (\(model.training.skippedRows) skipped, \(model.training.imputedCells) blank cells imputed)")
            // Column names come from the file: escaped, like every input text shown on the terminal.
            print(TerminalText.escaped("Features: \(model.numeric.count) numeric (\(model.numeric.map(\.column).joined(separator: ", ")))"))
            print(TerminalText.escaped("          \(model.categorical.count) categorical (\(model.categorical.map { "\($0.column): \($0.categories.count) values" }.joined(separator: ", ")))"))
            for ignored in model.ignoredColumns { print(TerminalText.escaped("Not a feature: \(ignored.column) (\(ignored.reason))")) }
            print(String(format: "Converged in %d Newton steps; training accuracy %.3f, ROC AUC %.3f, log loss %.4f",
                         model.training.iterations, m.accuracy, m.auc, m.logLoss))
            let t = model.thresholds
            let how = training.mediumRisk == nil && training.highRisk == nil
                ? String(format: "calibrated to the %.1f%% training churn rate", 100 * model.training.positiveRate)
                : (training.mediumRisk != nil && training.highRisk != nil ? "as given" : "partly as given, the rest calibrated")
            print("Risk levels: Medium from risk score \(t.mediumRisk), High from \(t.highRisk) (\(how))")
            for rejected in table.rejected.prefix(10) {
                printError(TerminalText.escaped("\(trainingFile):\(rejected.line): skipped: \(rejected.reason)"))
            }
            if let out { print("Model written to \(out)") }
            if register {
                let registry = try RegistryAccess.open(db)
                let loaded = try ModelFile.load(bytes: try ModelFile.encode(model), name: "trained model")
                // The curves of the model page, on the training rows as its metrics are.
                let fit = try ModelEvaluation.run(try CompiledModel(model), on: table)
                let r = try registry.register(bytes: loaded.bytes, hash: loaded.hashHex, model: model, metrics: model.training.metrics,
                                              metricsKind: "training", source: "train",
                                              curves: ModelCurves(probabilities: fit.probabilities, labels: fit.labels))
                print("Registered model version \(r.version)\(r.alreadyRegistered ? " (the same model file was registered before)" : "")"
                      + (r.champion && !r.alreadyRegistered ? "; it is the champion (the first registered model)" : ""))
            }
        }
    }
}

/// The options of training a model, shared by `train` and `retrain`.
struct TrainingOptions: ParsableArguments {
    @Option(help: "The column holding the churn label.") var label: String
    @Option(help: "The label value that means churned (inferred for 1/0, true/false, yes/no).") var positive: String?
    @Option(help: "Column that identifies a customer.") var id: String?
    @Option(help: "Comma-separated columns that are not features.") var ignore: String?
    @Option(help: "Column with recurring revenue (default: mrr, revenue, … if present).") var revenue: String?
    @Option(name: .customLong("C"), help: "Inverse regularization strength, as scikit-learn's C.") var c: Double = 1.0
    @Option(help: "Risk score from which a customer is Medium risk (default: calibrated to the training churn rate).")
    var mediumRisk: Int?
    @Option(help: "Risk score from which a customer is High risk (default: calibrated to the training churn rate).")
    var highRisk: Int?
    @Option(help: "Comma-separated columns with a protected-attribute name (gender, race, …) to use as features all the same.")
    var allowSensitive: String?
    @Option(help: "Worksheet to read from an XLSX file (default: the first).") var sheet: String?

    var trainerOptions: Trainer.Options {
        Trainer.Options(
            labelColumn: label, positive: positive, idColumn: id,
            ignore: ignore.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [],
            revenueColumn: revenue, C: c, thresholds: RiskThresholds.Partial(mediumRisk: mediumRisk, highRisk: highRisk),
            allowSensitive: allowSensitive.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } ?? [])
    }
}

/// Reads a whole table from CSV or XLSX.
enum TableInput {
    static func read(path: String, sheet: String?) throws -> (Table, DataFingerprint) {
        if InputFiles.isXLSX(path) {
            let csv = try InputFiles.convertXLSX(path: path, sheet: sheet)
            defer { unlink(csv) }
            var (table, fingerprint) = try CSVTableReader.read(path: csv)
            table.name = path
            let original = try CSVTableReader.fingerprint(path: path)
            fingerprint = original
            return (table, fingerprint)
        }
        return try CSVTableReader.read(path: path)
    }
}
