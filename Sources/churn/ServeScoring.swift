import ChurnServer
import Foundation
import Logging

/// Builds the scoring service `churn serve` runs uploads on.
enum ServeScoring {
    static func makeJobs(command: ServeCommand, configuration: ServerConfiguration, logger: Logger) throws -> any ScoringJobs {
        UnavailableJobs()
    }
}

/// TEMPORARY: until the scoring service (ChurnService) is merged, uploads are refused.
private struct UnavailableJobs: ScoringJobs {
    struct NotYet: Error, CustomStringConvertible { var description: String { "scoring service not available yet" } }
    func start(_ upload: UploadedFile, options: RunOptions) async throws -> Int64 { throw NotYet() }
    func live(_ runId: Int64) -> LiveRun? { nil }
    func liveRuns() -> [LiveRun] { [] }
    func cancel(_ runId: Int64) -> Bool { false }
    func updates(_ runId: Int64) -> AsyncStream<LiveRun>? { nil }
    func pool() -> PoolSnapshot { PoolSnapshot(mode: "in-process", workers: []) }
    func drain(grace: Duration) async {}
}
