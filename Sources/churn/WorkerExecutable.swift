import Foundation

/// Which program `--local N` starts as its workers: this `churn` executable, so workers are always
/// the same build as their coordinator, unless `CHURN_WORKER_EXECUTABLE` names another one (a
/// release build of the worker beside a debug CLI, or a wrapper such as `valgrind churn`).
enum WorkerExecutable {
    static func path() throws -> String {
        if let override = ProcessInfo.processInfo.environment["CHURN_WORKER_EXECUTABLE"], !override.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: override) else {
                throw CLIError("CHURN_WORKER_EXECUTABLE=\(override) is not an executable file")
            }
            return override
        }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
