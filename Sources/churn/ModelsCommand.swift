import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnStore
import Foundation

/// `churn models list|show|promote|rollback`: the model registry.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "The model registry: list registered models, show one, promote one to champion, roll back to the previous champion.",
        discussion: """
            Models enter the registry with `churn train --register` or `churn retrain`. The first one \
            registered becomes the champion; `--model @champion` (or `@N`) scores with it.
            """,
        subcommands: [List.self, Show.self, Promote.self, Rollback.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List registered models, oldest first; * marks the champion.")
        @Flag(help: "Print a JSON array instead of a table.") var json = false
        @Option(help: "History database holding the registry (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?

        func run() throws {
            try runReportingErrors {
                let versions = try RegistryAccess.open(db).versions()
                if json {
                    print(try RegistryAccess.json(versions.map(RegistryAccess.summary)))
                    return
                }
                guard !versions.isEmpty else {
                    print("No registered models (churn train --register, churn retrain)")
                    return
                }
                print(["   " + "version".padding(toLength: 7, withPad: " ", startingAt: 0), "hash".padding(toLength: 12, withPad: " ", startingAt: 0),
                       "registered".padding(toLength: 19, withPad: " ", startingAt: 0), "training data".padding(toLength: 24, withPad: " ", startingAt: 0),
                       "rows  ", "metrics  ", "ROC AUC", "log loss"].joined(separator: " "))
                for v in versions {
                    let line = [
                        (v.champion ? "*" : " ") + "  " + String(v.version).padding(toLength: 7, withPad: " ", startingAt: 0),
                        String(v.hash.prefix(12)).padding(toLength: 12, withPad: " ", startingAt: 0),
                        RegistryAccess.time(v.registeredAt),
                        TerminalText.escaped(v.trainingFile).padding(toLength: 24, withPad: " ", startingAt: 0),
                        String(v.trainingRows).padding(toLength: 6, withPad: " ", startingAt: 0),
                        v.metricsKind.padding(toLength: 9, withPad: " ", startingAt: 0),
                        String(format: "%.4f ", v.metrics.auc),
                        String(format: "%.4f", v.metrics.logLoss),
                    ]
                    print(line.joined(separator: " "))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one registered model: hash, training data, metrics, features.")
        @Argument(help: "Version number.") var version: Int
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "History database holding the registry.") var db: String?

        func run() throws {
            try runReportingErrors {
                let registry = try RegistryAccess.open(db)
                guard let v = try registry.version(version), let bytes = try registry.modelBytes(version) else {
                    throw CLIError("no model version \(version) in the registry")
                }
                if json {
                    print(try RegistryAccess.json(RegistryAccess.summary(v)))
                    return
                }
                let model = try JSONDecoder().decode(ChurnModel.self, from: Data(bytes))
                let m = v.metrics
                print("Model version \(v.version)\(v.champion ? " (champion)" : "")")
                print("  hash        \(v.hash)")
                print("  registered  \(RegistryAccess.time(v.registeredAt)) by \(v.source == "retrain" ? "churn retrain" : "churn train --register")")
                print("  trained     \(v.trainedAt) on \(TerminalText.escaped(v.trainingFile)), \(v.trainingRows) rows")
                print("  \(v.metricsKind) metrics: " + String(format: "accuracy %.4f, ROC AUC %.4f, PR AUC %.4f, log loss %.4f, Brier %.4f (%d rows)",
                                                              m.accuracy, m.auc, m.prAuc, m.logLoss, m.brier, m.rows))
                print("  features    \(model.numeric.count) numeric, \(model.categorical.count) categorical; drift bins: \(model.numeric.contains { $0.bins != nil } ? "yes" : "no")")
                for f in model.numeric.sorted(by: { abs($0.coefficient) > abs($1.coefficient) }) {
                    print(String(format: "    %+.4f  ", f.coefficient) + TerminalText.escaped(f.column))
                }
                let history = try registry.championHistory()
                print("  champions   \(history.map { "v\($0)" }.joined(separator: " → "))")
            }
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a registered model the champion.")
        @Argument(help: "Version number.") var version: Int
        @Option(help: "History database holding the registry.") var db: String?

        func run() throws {
            try runReportingErrors {
                let registry = try RegistryAccess.open(db)
                let before = try registry.champion()
                try registry.promote(version)
                print("Model version \(version) is the champion\(before.map { " (was version \($0))" } ?? "")")
            }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Go back to the previous champion.")
        @Option(help: "History database holding the registry.") var db: String?

        func run() throws {
            try runReportingErrors {
                let (from, to) = try RegistryAccess.open(db).rollback()
                print("Model version \(to) is the champion again (was version \(from))")
            }
        }
    }
}

/// Opening the registry and printing its entries, shared by the registry commands.
enum RegistryAccess {
    static func path(_ db: String?) -> String { db ?? RunHistory.defaultPath }

    static func open(_ db: String?) throws -> ModelRegistry {
        let p = path(db)
        try RunHistory.createDirectory(for: p)
        return try ModelRegistry(path: p)
    }

    /// A version as the JSON of `models list --json`: `version`, `hash`, `champion`, `auc` and more.
    struct Summary: Encodable {
        var version: Int
        var hash: String
        var champion: Bool
        var registered_at: String
        var trained_at: String
        var training_file: String
        var rows: Int
        var source: String
        var metrics_kind: String
        var accuracy: Double
        var auc: Double
        var pr_auc: Double
        var log_loss: Double
        var brier: Double
    }

    static func summary(_ v: ModelRegistry.Version) -> Summary {
        Summary(version: v.version, hash: v.hash, champion: v.champion, registered_at: ISO8601DateFormatter().string(from: v.registeredAt),
                trained_at: v.trainedAt, training_file: v.trainingFile, rows: v.trainingRows, source: v.source,
                metrics_kind: v.metricsKind, accuracy: v.metrics.accuracy, auc: v.metrics.auc, pr_auc: v.metrics.prAuc,
                log_loss: v.metrics.logLoss, brier: v.metrics.brier)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func time(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }
}
