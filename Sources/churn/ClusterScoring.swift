import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

/// `churn score` with --workers, --cluster or --local: the coordinator path.
struct ClusterScoring {
    let command: ScoreCommand
    /// The results file, committed by the caller once everything else has succeeded.
    let output: OutputFile
    let loaded: ModelFile.Loaded
    let compiled: CompiledModel
    let history: RunHistory?

    func run() throws -> ScoringOutcome {
        let logger = try makeLogger(label: "churn.coordinator", level: command.logLevel)
        var endpoints: [WorkerEndpoint] = []
        var secretPath = command.secretFile
        var local: LocalWorkers?
        var temporarySecret: String?
        var workersCleanup: Int?
        defer {
            workersCleanup.map(Interruption.remove)
            local?.stop()
            if let temporarySecret { unlink(temporarySecret) }
        }
        if let list = command.workers { endpoints += try WorkerEndpoint.parseList(list) }
        if let clusterPath = command.cluster {
            let file = try ClusterFile.read(path: clusterPath)
            endpoints += file.workers
            if secretPath == nil { secretPath = file.secretFile }
        }
        if let n = command.local {
            guard n >= 1 else { throw CLIError("--local needs at least 1 worker") }
            if secretPath == nil {
                let path = NSTemporaryDirectory() + "churn-local-secret-\(getpid())"
                try SecretFile.create(path: path)
                temporarySecret = path
                secretPath = path
            }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let workers = try LocalWorkers(count: n, executable: try WorkerExecutable.path(), secretFile: secretPath!,
                                           threadsEach: max(1, cores / n))
            local = workers
            let secretToRemove = temporarySecret
            workersCleanup = Interruption.onInterrupt {
                workers.stop()
                if let secretToRemove { unlink(secretToRemove) }
            }
            endpoints += workers.endpoints
        }
        let secret = try secretPath.map { try SecretFile.read(path: $0) }

        let scorer = ClusterScorer(model: compiled, modelBytes: loaded.bytes, modelHash: loaded.sha256, options: .init(
            endpoints: endpoints, secret: secret, rankBy: command.rankBy, topLimit: command.top, recording: history?.recording),
            logger: logger)
        let (aggregate, inputBytes) = try ResultsWriting.run(command, output: output, model: compiled, history: history, progressUnit: "workers") {
            try scorer.run(reader: $0, consume: $1, progress: $2)
        }
        let r = scorer.report
        var engine = "cluster, \(endpoints.count) worker\(endpoints.count == 1 ? "" : "s")"
        if r.resends + r.speculativeSends + r.poisonShards > 0 {
            engine += "; \(r.resends) shards re-sent, \(r.speculativeSends) speculative, \(r.poisonShards) poison"
        }
        return ScoringOutcome(aggregate: aggregate, inputBytes: inputBytes, engine: engine, workers: endpoints.count)
    }
}
