import Foundation
import XCTest

/// A run of the real `churn` binary whose resources a test controls and measures: optional rlimits
/// (through util-linux `prlimit`, which execs churn in the same process), a working directory, and
/// the peak resident memory of the process (from `wait4`).
struct MeasuredRun {
    var status: Int32
    /// The signal that killed the process, if one did.
    var signal: Int32?
    var stdout: String
    var stderr: String
    var maxRSSBytes: Int

    /// - Parameters:
    ///   - limits: `prlimit` options, e.g. `--fsize=83886080` (bytes) or `--cpu=10` (seconds; past it the kernel kills the process).
    ///   - directory: working directory (default: the test's).
    static func churn(_ arguments: [String], limits: [String] = [], directory: String? = nil,
                      environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> MeasuredRun {
        let scratch = ChurnBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outPath = scratch.appendingPathComponent("stdout").path
        let errPath = scratch.appendingPathComponent("stderr").path
        var argv = limits.isEmpty ? [ChurnBinary.url.path] : ["/usr/bin/prlimit"] + limits + ["--", ChurnBinary.url.path]
        argv += arguments
        let script = #"cd "$1" && shift && exec "$@" >"$OUT" 2>"$ERR""#
        let shellArgv = ["/bin/sh", "-c", script, "sh", directory ?? FileManager.default.currentDirectoryPath] + argv
        var env = ProcessInfo.processInfo.environment.merging(["CHURN_DB": ChurnBinary.historyPath]) { $1 }
        env.merge(environment) { $1 }
        env["OUT"] = outPath
        env["ERR"] = errPath
        let cArgs = shellArgv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/sh", nil, nil, cArgs, cEnv)
        guard rc == 0 else { throw NSError(domain: "MeasuredRun", code: Int(rc)) }
        var status: Int32 = 0
        var usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        var killed = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if !killed && Date() > deadline {
                killed = true
                kill(pid, SIGKILL)
                XCTFail("churn \(arguments.joined(separator: " ")) timed out after \(timeout) s")
            }
            usleep(10_000)
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        let signalled = status & 0x7F != 0
        return MeasuredRun(status: signalled ? -1 : (status >> 8) & 0xFF, signal: signalled ? status & 0x7F : nil,
                           stdout: read(outPath), stderr: read(errPath), maxRSSBytes: Int(usage.ru_maxrss) * 1024)
    }

    /// Writes `script` and runs it with python3 and `arguments`; fails the test if it fails.
    static func python(_ script: String, _ arguments: [String], in dir: URL) throws {
        let path = dir.appendingPathComponent("make-\(UUID().uuidString.prefix(8)).py").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try ChurnBinary.python([path] + arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
