import ChurnServer
import Foundation
import Logging

/// The scoring service `churn serve` runs uploads on: ChurnService, on this process's cores or on
/// the worker pool of --local, --cluster or --workers (one pool shared by every job).
enum ServeScoring {
    static func makeJobs(command: ServeCommand, configuration: ServerConfiguration, logger: Logger) throws -> ServiceJobs {
        let pool = try makeWorkerPool(workers: command.workers, cluster: command.cluster, local: command.local,
                                      secretFile: command.secretFile, logLevel: command.logLevel == "notice" ? "warning" : command.logLevel)
        return ServiceJobs(configuration: configuration, pool: pool, threads: ProcessInfo.processInfo.activeProcessorCount)
    }
}
