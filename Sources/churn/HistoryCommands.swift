import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnStore
import Foundation

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List recorded scoring runs, newest first.")

    @Option(help: "History file (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?
    @Option(help: "How many runs to show.") var limit: Int = 20

    func run() throws {
        try runReportingErrors {
            let path = db ?? RunHistory.defaultPath
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no history yet (score something first)") }
            let runs = try RunStore(path: path).listRuns(limit: limit)
            if runs.isEmpty { print("No runs recorded in \(path)"); return }
            print("run  started              status     rows        rejected  input                          model")
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            for r in runs {
                let id = String(r.id).padding(toLength: 4, withPad: " ", startingAt: 0)
                let status = r.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                let rows = (r.rowsScored.map(String.init) ?? "-").padding(toLength: 11, withPad: " ", startingAt: 0)
                let rejected = (r.rowsRejected.map(String.init) ?? "-").padding(toLength: 9, withPad: " ", startingAt: 0)
                let input = r.inputName.padding(toLength: 30, withPad: " ", startingAt: 0)
                print(TerminalText.escaped("\(id) \(formatter.string(from: r.startedAt))  \(status) \(rows) \(rejected) \(input) \(r.modelHash.prefix(12))"))
                if let error = r.error { print(TerminalText.escaped("     error: \(error)")) }
            }
        }
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show one customer's scores over the recorded runs.")

    @Argument(help: "The customer's id (the model's id column).") var customerId: String
    @Option(help: "History file (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?

    func run() throws {
        try runReportingErrors {
            let path = db ?? RunHistory.defaultPath
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no history yet") }
            let scores = try RunStore(path: path).history(customerId: customerId)
            guard !scores.isEmpty else { throw CLIError("no recorded score for customer '\(customerId)' in \(path)") }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm"
            print(TerminalText.escaped("Customer \(customerId): \(scores.count) score\(scores.count == 1 ? "" : "s"), newest first"))
            print("run  when              input                     churn   risk    health  drivers                                   intervention")
            for s in scores {
                let id = String(s.runId).padding(toLength: 4, withPad: " ", startingAt: 0)
                let input = s.inputName.padding(toLength: 25, withPad: " ", startingAt: 0)
                let prob = String(format: "%5.1f%%", 100 * s.probability)
                let level = s.riskLevel.name.padding(toLength: 6, withPad: " ", startingAt: 0)
                let health = String(s.health).padding(toLength: 6, withPad: " ", startingAt: 0)
                let drivers = s.drivers.map { "\($0.name) +\(String(format: "%.2f", $0.impact))" }.joined(separator: ", ")
                print(TerminalText.escaped("\(id) \(formatter.string(from: s.runStartedAt))  \(input) \(prob)  \(level)  \(health)  \(drivers.padding(toLength: max(40, drivers.count), withPad: " ", startingAt: 0))  \(s.intervention)"))
            }
        }
    }
}

struct CustomersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customers",
        abstract: "Show a page of one recorded run's customers: filter by risk level, id, intervention or category value; sort by probability.")

    enum Sort: String, ExpressibleByArgument, CaseIterable {
        case input, risk, safe
    }

    @Argument(help: "The run (see `churn runs`).") var runId: Int64
    @Option(help: "Only this risk level (Low, Medium or High); repeat for several.") var level: [String] = []
    @Option(help: "Only customers whose id contains this text.") var search: String?
    @Option(help: "Only customers given this intervention (its exact text).") var intervention: String?
    @Option(name: .customLong("where"),
            help: "Only customers with this categorical value, as FEATURE=VALUE (a level, (blank) or (other)); repeat for several features.")
    var conditions: [String] = []
    @Option(help: "input (file order), risk (highest probability first) or safe (lowest first).") var sort: Sort = .input
    @Option(help: "Rows to skip.") var offset: Int = 0
    @Option(help: "Rows to show.") var limit: Int = 20
    @Option(help: "History file (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?

    func run() throws {
        try runReportingErrors {
            let path = db ?? RunHistory.defaultPath
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no history yet") }
            var levels: Set<RiskLevel>? = nil
            if !level.isEmpty {
                levels = Set(try level.map { text in
                    guard let l = RiskLevel.allCases.first(where: { $0.name.lowercased() == text.lowercased() }) else {
                        throw CLIError("--level \(text): expected Low, Medium or High")
                    }
                    return l
                })
            }
            let order: CustomerQuery.Sort = sort == .input ? .inputOrder : (sort == .risk ? .probabilityDescending : .probabilityAscending)
            let store = try RunStore(path: path)
            guard let run = try store.run(id: runId), run.status == .succeeded else {
                throw CLIError("run \(runId) is not a succeeded run in \(path)")
            }
            var categories: [String: String] = [:]
            for condition in conditions {
                guard let eq = condition.firstIndex(of: "="), eq != condition.startIndex else {
                    throw CLIError("--where \(condition): expected FEATURE=VALUE, e.g. --where Contract=Month-to-month")
                }
                let feature = String(condition[..<eq])
                guard categories[feature] == nil else { throw CLIError("--where: \(feature) is given twice") }
                categories[feature] = String(condition[condition.index(after: eq)...])
            }
            if !categories.isEmpty {
                let features = try store.categories(runId: runId)
                guard !features.isEmpty else {
                    throw CLIError("--where: category filtering is not available for run \(runId): it has no category data "
                                   + "(its model has no categorical features, or it was scored on a cluster or recorded before history schema 3)")
                }
                for (feature, value) in categories.sorted(by: { $0.key < $1.key }) {
                    guard let f = features.first(where: { $0.feature == feature }) else {
                        throw CLIError("--where \(feature)=\(value): \(feature) is not a categorical feature of run \(runId) (it has: "
                                       + features.map(\.feature).joined(separator: ", ") + ")")
                    }
                    guard f.code(of: value) != nil else {
                        throw CLIError("--where \(feature)=\(value): not one of " + f.choices.joined(separator: ", "))
                    }
                }
            }
            let page = try store.customerPage(CustomerQuery(runId: runId, levels: levels, idContains: search,
                                                            intervention: intervention, categories: categories, sort: order,
                                                            offset: offset, limit: limit))
            let last = offset + page.rows.count
            print("Run \(runId) (\(run.inputName)): \(page.totalMatching) matching, showing \(page.rows.isEmpty ? 0 : offset + 1)–\(last)")
            let categoryHeader = page.categories.map { "  " + $0.feature }.joined()
            print("line      customer              churn   risk    health  drivers                                   intervention" + categoryHeader)
            for s in page.rows {
                let line = String(s.line).padding(toLength: 9, withPad: " ", startingAt: 0)
                let id = s.customerId.padding(toLength: max(20, s.customerId.count), withPad: " ", startingAt: 0)
                let prob = String(format: "%5.1f%%", 100 * s.probability)
                let level = s.riskLevel.name.padding(toLength: 6, withPad: " ", startingAt: 0)
                let health = String(s.health).padding(toLength: 6, withPad: " ", startingAt: 0)
                let drivers = s.drivers.map { "\($0.name) +\(String(format: "%.2f", $0.impact))" }.joined(separator: ", ")
                let values = s.categoryValues.map { "  " + $0.value }.joined()
                print(TerminalText.escaped("\(line) \(id)  \(prob)  \(level)  \(health)  \(drivers.padding(toLength: max(40, drivers.count), withPad: " ", startingAt: 0))  \(s.intervention)" + values))
            }
        }
    }
}
