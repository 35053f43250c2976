// TEMPORARY scaffolding while the cluster pieces land; replaced command by command.
import ArgumentParser
import ChurnCore
import ChurnEngine
import ChurnIO
struct RunsCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "runs") }
struct HistoryCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "history") }
struct ClusterCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "cluster") }
struct LoadtestCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "loadtest") }
final class HistoryRecorder {
    init(path: String, input: String, model: String, loaded: ModelFile.Loaded, rankBy: RankBy) throws { throw CLIError("--db is not built yet") }
    func fail(_ error: Error) {}
    func finish(_ summary: inout RunSummary) throws {}
    func record(_ records: RowRecords, firstLine: UInt64, model: CompiledModel) throws {}
}
enum ReportWriter { static func write(summary: RunSummary, loaded: ModelFile.Loaded, to path: String) throws { throw CLIError("--report is not built yet") } }
