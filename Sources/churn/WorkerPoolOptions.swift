import ChurnCoordinator
import ChurnIO
import Foundation

/// The worker pool that `--workers`, `--cluster` and `--local` ask for, as `churn score` and
/// `churn serve` both take them; nil when none is given (score in process).
/// - Parameter inputFile: `churn score`'s CSV input: `--local` workers may read its shards
///   themselves (protocol version 6) instead of receiving their bytes.
func makeWorkerPool(workers: String?, cluster: String?, local: Int?, secretFile: String?, logLevel: String,
                    inputFile: String? = nil) throws -> WorkerPool? {
    guard workers != nil || cluster != nil || local != nil else { return nil }
    let logger = try makeLogger(label: "churn.coordinator", level: logLevel)
    var endpoints: [WorkerEndpoint] = []
    var secretPath = secretFile
    if let list = workers { endpoints += try WorkerEndpoint.parseList(list) }
    if let clusterPath = cluster {
        let file = try ClusterFile.read(path: clusterPath)
        endpoints += file.workers
        if secretPath == nil { secretPath = file.secretFile }
    }
    if let n = local {
        guard n >= 1 else { throw CLIError("--local needs at least 1 worker") }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // Interrupted before a job starts: the pool's close() still stops the workers.
        return try WorkerPool.startingLocalWorkers(count: n, executable: try WorkerExecutable.path(), secretFile: secretPath,
                                                   threadsEach: max(1, cores / n), extraEndpoints: endpoints,
                                                   inputFile: inputFile, logger: logger)
    }
    return try WorkerPool(endpoints: endpoints, secret: try secretPath.map { try SecretFile.read(path: $0) }, logger: logger)
}
