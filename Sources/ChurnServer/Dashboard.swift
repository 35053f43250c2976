import ChurnCoordinator
import ChurnCore
import ChurnStore
import Foundation
import Synchronization

/// What every route reads: the configuration, the scoring service, the history and the metrics.
final class Dashboard: Sendable {
    let configuration: ServerConfiguration
    let jobs: any ScoringJobs
    let store: RunStore
    let metrics = ServerMetrics()
    /// Accounts, sessions and the login throttle.
    let access: AccessControl
    /// Retention offers: the outbox, sending, opt-outs.
    let offerDesk: OfferDesk
    /// Succeeded runs' changes against their previous runs, computed once each (a run's rows never
    /// change); the latest `changesKept` runs viewed.
    private let changesCache = Mutex(RecentValues<Int64, ScoreChanges?>(capacity: Dashboard.changesKept))
    /// How many runs' changes `changes(_:)` keeps in memory.
    static let changesKept = 256
    /// The model of `--model`, following the registry's champion when it names `@champion`.
    let model: ModelInUse
    /// For `/api/v1/predict`: the model in use, compiled.
    var compiled: CompiledModel { model.current().compiled }

    init(configuration: ServerConfiguration, jobs: any ScoringJobs) throws {
        self.configuration = configuration
        self.jobs = jobs
        try configuration.prepareDirectories()
        store = try RunStore(path: configuration.historyPath)
        access = try AccessControl(dataDirectory: configuration.dataDirectory, settings: configuration.security)
        offerDesk = OfferDesk(store: store, settings: configuration.offerMail)
        model = try ModelInUse(reference: (try? ModelReference(argument: configuration.modelPath)) ?? .file(configuration.modelPath),
                               registryPath: configuration.historyPath, initial: configuration.model)
    }

    /// The results CSV of a run started by the server (`<data>/results/<id>.csv`).
    func resultsPath(_ id: Int64) -> String { configuration.resultsDirectory + "/\(id).csv" }
    /// The HTML report of a run started by the server.
    func reportPath(_ id: Int64) -> String { configuration.reportsDirectory + "/\(id).html" }

    /// A run by id: live when this process runs or ran it, else from the history.
    func run(_ id: Int64) throws -> RunView? {
        if let live = jobs.live(id) { return RunView(live) }
        guard let record = try store.run(id: id) else { return nil }
        let results = resultsPath(id), report = reportPath(id)
        return RunView(record, resultsPath: FileManager.default.fileExists(atPath: results) ? results : nil,
                       reportPath: FileManager.default.fileExists(atPath: report) ? report : nil)
    }

    /// How a succeeded run's scores moved against the previous succeeded run of its input (the
    /// store's `scoreChanges`); nil for other runs and for a first run.
    func changes(_ run: RunView) throws -> ScoreChanges? {
        guard run.status == .succeeded else { return nil }
        if let cached = changesCache.withLock({ $0[run.id] }) { return cached }
        let changes = try store.scoreChanges(runId: run.id, top: 10)
        changesCache.withLock { $0.store(changes, for: run.id) }
        return changes
    }

    /// The latest runs, newest first: the history's, with the live state of those this process runs.
    func runs(limit: Int) throws -> [RunView] {
        var live: [Int64: LiveRun] = [:]
        for run in jobs.liveRuns() { live[run.runId] = run }
        var out = try store.listRuns(limit: limit).map { record -> RunView in
            if let l = live.removeValue(forKey: record.id) {
                var view = RunView(l)
                view.modelHash = record.modelHash
                return view
            }
            return RunView(record, resultsPath: nil, reportPath: nil)
        }
        out += live.values.map(RunView.init)
        return out.sorted { $0.id > $1.id }.prefix(limit).map { $0 }
    }
}
