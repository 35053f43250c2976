import ArgumentParser
import ChurnEngine
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic customers (the seed's columns plus email) as CSV.",
        discussion: "The same --seed and --rows always give the same file, whatever the machine.")

    @Option(help: "Number of customers.") var rows: Int
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Leave out the churn_label column (data to score rather than to train on).") var noLabel = false
    @Option(help: "Output CSV file.") var out: String
    @Option(help: "Threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        try runReportingErrors {
            guard rows >= 0 else { throw CLIError("--rows must be 0 or more") }
            let start = Date()
            let bytes = try DataGenerator.write(rows: rows, seed: seed, withLabel: !noLabel, to: out, threads: threads)
            printError(String(format: "wrote %d customers (%.1f MB) to %@ in %.2f s", rows, Double(bytes) / 1e6, out, Date().timeIntervalSince(start)))
        }
    }
}
