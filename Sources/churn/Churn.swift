import ArgumentParser
import ChurnTransport

/// The `churn` command: a thin shell over the libraries.
@main
struct Churn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Score customers' churn risk and tell a customer-success team whom to call first, why, and what to offer.",
        discussion: """
            Typical flow:
              churn generate --rows 1000 --seed 1 --out train.csv
              churn train train.csv --label churn_label --out model.json
              churn evaluate model.json test.csv
              churn score customers.csv --model model.json --out scores.csv
              churn score big.csv --model model.json --local 2 --out scores.csv --report report.html
            """,
        version: "1.0.0",
        subcommands: [
            GenerateCommand.self, TrainCommand.self, EvaluateCommand.self, ScoreCommand.self,
            WorkerCommand.self, RunsCommand.self, HistoryCommand.self, CustomersCommand.self, ClusterCommand.self, LoadtestCommand.self,
            ServeCommand.self, OffersCommand.self,
            UsersCommand.self, TokensCommand.self, AuditCommand.self,
            ModelsCommand.self, RetrainCommand.self,
        ])

    /// Process-wide settings belong to the executable, never to the libraries: a write to a worker or
    /// client that has gone away must fail with EPIPE on that connection, not kill the process.
    static func main() {
        SignalWatcher.ignoreSIGPIPE()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
