import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure a model on labelled data: accuracy, ROC AUC, PR AUC, log loss, Brier score, precision, recall, F1, confusion matrix.")

    @Argument(help: "The model file, or @champion / @N for the registry's champion or version N.") var model: String
    @Argument(help: "Labelled test data (CSV or XLSX) with the model's label column.") var testFile: String
    @Option(help: "Worksheet to read from an XLSX file.") var sheet: String?
    @Flag(help: "Print one JSON object instead of text.") var json = false
    @Option(help: "History database holding the model registry, for @champion / @N (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).")
    var db: String?

    func run() throws {
        try runReportingErrors {
            let loaded = try ModelReference(argument: model).resolve(registryPath: db ?? RunHistory.defaultPath).loaded
            let compiled = try CompiledModel(loaded.model)
            let (table, _) = try TableInput.read(path: testFile, sheet: sheet)
            let result = try Evaluation.run(compiled, on: table)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
                return
            }
            let m = result.metrics
            print("Evaluated \(model) on \(m.rows) rows of \(testFile) (\(result.skipped.count) skipped)")
            print(String(format: "  accuracy   %.4f   (at threshold %.2f)", m.accuracy, m.threshold))
            print(String(format: "  ROC AUC    %.4f", m.auc))
            print(String(format: "  PR AUC     %.4f", m.prAuc))
            print(String(format: "  log loss   %.4f", m.logLoss))
            print(String(format: "  Brier      %.4f", m.brier))
            print(String(format: "  precision  %.4f   recall %.4f   F1 %.4f", m.precision, m.recall, m.f1))
            print("  confusion  churned:  \(m.confusion.truePositives) caught, \(m.confusion.falseNegatives) missed")
            print("             retained: \(m.confusion.trueNegatives) correct, \(m.confusion.falsePositives) false alarms")
            for s in result.skipped.prefix(20) { print(TerminalText.escaped("  skipped \(testFile):\(s.line): \(s.reason)")) }
        }
    }
}

/// Scores a labelled table and measures the model on it.
enum Evaluation {
    struct Result: Encodable {
        var metrics: EvaluationMetrics
        var skipped: [RejectedRow]
        // Flattened keys for scripts: accuracy, auc, log_loss, rows.
        enum CodingKeys: String, CodingKey { case accuracy, auc, prAuc = "pr_auc", logLoss = "log_loss", brier, precision, recall, f1, rows, confusion, skipped, threshold }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(metrics.accuracy, forKey: .accuracy)
            try c.encode(metrics.auc, forKey: .auc)
            try c.encode(metrics.prAuc, forKey: .prAuc)
            try c.encode(metrics.logLoss, forKey: .logLoss)
            try c.encode(metrics.brier, forKey: .brier)
            try c.encode(metrics.precision, forKey: .precision)
            try c.encode(metrics.recall, forKey: .recall)
            try c.encode(metrics.f1, forKey: .f1)
            try c.encode(metrics.rows, forKey: .rows)
            try c.encode(metrics.threshold, forKey: .threshold)
            try c.encode(metrics.confusion, forKey: .confusion)
            try c.encode(skipped, forKey: .skipped)
        }
    }

    static func run(_ model: CompiledModel, on table: Table) throws -> Result {
        let r = try ModelEvaluation.run(model, on: table)
        return Result(metrics: r.metrics, skipped: r.skipped)
    }
}
