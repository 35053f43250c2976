import Foundation
import XCTest

/// A run of the real `churn` binary whose resources a test controls and measures: rlimits, a
/// working directory, and the peak resident memory of the churn process alone.
///
/// A small Python driver starts churn and reads its peak RSS with `getrusage(RUSAGE_CHILDREN)`.
/// Measuring from the test process itself would not do: a child started with `posix_spawn` (vfork)
/// or `fork` counts the parent's resident memory at `exec` in its own peak, and the test process is
/// hundreds of megabytes by the time the hostile tests run.
struct MeasuredRun {
    var status: Int32
    /// The signal that killed the process, if one did.
    var signal: Int32?
    var stdout: String
    var stderr: String
    var maxRSSBytes: Int

    /// - Parameters:
    ///   - limits: rlimits by their Python `resource` name, e.g. `("RLIMIT_FSIZE", 83886080)` (bytes;
    ///     past it the process gets SIGXFSZ) or `("RLIMIT_CPU", 10)` (seconds; then SIGXCPU).
    ///   - directory: working directory (default: the test's).
    static func churn(_ arguments: [String], limits: [(String, Int)] = [], directory: String? = nil,
                      environment: [String: String] = [:], timeout: TimeInterval = 120) throws -> MeasuredRun {
        let scratch = ChurnBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        func file(_ name: String) -> String { scratch.appendingPathComponent(name).path }
        var env = ProcessInfo.processInfo.environment.merging(["CHURN_DB": ChurnBinary.historyPath]) { $1 }
        env.merge(environment) { $1 }
        let spec: [String: Any] = [
            "argv": [ChurnBinary.url.path] + arguments, "cwd": directory ?? FileManager.default.currentDirectoryPath,
            "env": env, "limits": limits.map { [$0.0, $0.1] }, "timeout": timeout,
            "out": file("stdout"), "err": file("stderr"), "result": file("result.json"),
        ]
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: file("spec.json")))
        try driver.write(toFile: file("driver.py"), atomically: true, encoding: .utf8)
        let r = try ChurnBinary.python([file("driver.py"), file("spec.json")])
        guard r.status == 0, let data = FileManager.default.contents(atPath: file("result.json")),
              let result = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NSError(domain: "MeasuredRun", code: 1, userInfo: [NSLocalizedDescriptionKey: "driver failed: \(r.stderr)"])
        }
        if result["timedOut"] as? Bool == true {
            XCTFail("churn \(arguments.joined(separator: " ")) timed out after \(timeout) s")
        }
        let code = result["code"] as? Int ?? -1
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return MeasuredRun(status: code < 0 ? -1 : Int32(code), signal: code < 0 ? Int32(-code) : nil,
                           stdout: read(file("stdout")), stderr: read(file("stderr")),
                           maxRSSBytes: (result["maxRSSKiB"] as? Int ?? 0) * 1024)
    }

    private static let driver = """
        import json, resource, subprocess, sys
        spec = json.load(open(sys.argv[1]))
        def limit():
            for name, value in spec['limits']:
                resource.setrlimit(getattr(resource, name), (value, value))
        timed_out = False
        with open(spec['out'], 'wb') as out, open(spec['err'], 'wb') as err:
            try:
                code = subprocess.run(spec['argv'], stdout=out, stderr=err, cwd=spec['cwd'], env=spec['env'],
                                      preexec_fn=limit, timeout=spec['timeout']).returncode
            except subprocess.TimeoutExpired:
                code, timed_out = -9, True
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        json.dump({'code': code, 'timedOut': timed_out, 'maxRSSKiB': rss}, open(spec['result'], 'w'))
        """

    /// Writes `script` and runs it with python3 and `arguments`; fails the test if it fails.
    static func python(_ script: String, _ arguments: [String], in dir: URL) throws {
        let path = dir.appendingPathComponent("make-\(UUID().uuidString.prefix(8)).py").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try ChurnBinary.python([path] + arguments)
        XCTAssertEqual(r.status, 0, r.stderr)
    }
}
