import Foundation
import XCTest

/// The coordinator against real worker processes: the output must be byte-identical to
/// in-process scoring whatever the number of workers and failures along the way.
final class ClusterTests: XCTestCase {
    var dir: URL!
    var model: String!
    var input: String!
    var expected: Data!
    var secret: String!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
        input = dir.appendingPathComponent("customers.csv").path
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "150000", "--seed", "11", "--no-label", "--out", input]).status, 0)
        // A few bad rows, so rejected-row handling crosses the wire too.
        let handle = FileHandle(forWritingAtPath: input)!
        handle.seekToEndOfFile()
        handle.write(Data("C9,x@y,enterprise,north,abc,1,2,3,4,5,6,7,8\nC10,short\n\"C11, \"\"q\"\"\",q@x,mid-market,south,,10,0,0,1,30,100,0,20\n".utf8))
        handle.closeFile()
        let out = dir.appendingPathComponent("local.csv").path
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", out, "--quiet", "--summary-json", dir.appendingPathComponent("local.json").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        expected = try Data(contentsOf: URL(fileURLWithPath: out))
        secret = try WorkerProcess.secretFile(in: dir)
    }

    private func scoreOnCluster(_ workers: [WorkerProcess], name: String, extra: [String] = [], during: ((Process) -> Void)? = nil) throws -> (ChurnBinary.Result, Data?) {
        let out = dir.appendingPathComponent("\(name).csv").path
        let args = ["score", input!, "--model", model!, "--out", out, "--quiet", "--shard-bytes", "65536",
                    "--workers", workers.map(\.address).joined(separator: ","), "--secret-file", secret!,
                    "--summary-json", dir.appendingPathComponent("\(name).json").path] + extra
        let result = try during.map { try runChurn(args, during: $0) } ?? ChurnBinary.run(args)
        return (result, try? Data(contentsOf: URL(fileURLWithPath: out)))
    }

    private func summary(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("\(name).json"))) as! [String: Any]
    }

    func testOneWorkerGivesTheSameBytesAsInProcess() throws {
        let w = try WorkerProcess(secretFile: secret)
        let (r, out) = try scoreOnCluster([w], name: "one")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(out, expected)
        let local = try summary("local"), cluster = try summary("one")
        for key in ["rowsScored", "rowsRejected", "imputedCells"] { XCTAssertEqual(local[key] as? Int, cluster[key] as? Int, key) }
        XCTAssertEqual((local["top"] as! [[String: Any]]).map { $0["id"] as! String }, (cluster["top"] as! [[String: Any]]).map { $0["id"] as! String })
        XCTAssertEqual((local["rejected"] as! [[String: Any]]).count, 2)
        XCTAssertEqual(w.terminate(), 0)
    }

    /// With history on, the workers encode each shard's history chunk and the coordinator only copies
    /// it: the database must hold exactly what an in-process run of the same chunks writes (every
    /// prediction block and index entry, byte for byte), and the results and summary must match too.
    func testHistoryRecordedFromWorkersIsTheSameAsInProcess() throws {
        let localDB = dir.appendingPathComponent("local-history.sqlite").path
        let clusterDB = dir.appendingPathComponent("cluster-history.sqlite").path
        let localOut = dir.appendingPathComponent("local-h.csv").path
        // The same chunk size on both paths: blocks are cut at chunk boundaries.
        let local = try ChurnBinary.run(["score", input!, "--model", model!, "--out", localOut, "--quiet", "--shard-bytes", "65536",
                                         "--db", localDB, "--summary-json", dir.appendingPathComponent("local-h.json").path])
        XCTAssertEqual(local.status, 0, local.stderr)
        let workers = try (0..<2).map { _ in try WorkerProcess(secretFile: secret) }
        let (r, out) = try scoreOnCluster(workers, name: "history", extra: ["--db", clusterDB])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(out, try Data(contentsOf: URL(fileURLWithPath: localOut)))
        XCTAssertEqual(out, expected)
        let localSummary = try summary("local-h"), clusterSummary = try summary("history")
        for key in ["rowsScored", "rowsRejected", "imputedCells"] {
            XCTAssertEqual(localSummary[key] as? Int, clusterSummary[key] as? Int, key)
        }
        let compare = """
        import sqlite3, sys
        def dump(path):
            db = sqlite3.connect(path)
            out = {}
            for table in ["prediction_blocks", "customer_index", "run_strings"]:
                cur = db.execute(f"SELECT * FROM {table}")
                names = [d[0] for d in cur.description]
                rows = [tuple(v for n, v in zip(names, row) if n != "id") for row in cur]
                out[table] = sorted(rows, key=repr)
            return out
        a, b = dump(sys.argv[1]), dump(sys.argv[2])
        for table in a:
            print(table, len(a[table]), "rows", "same" if a[table] == b[table] else "DIFFERENT")
        """
        let result = try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", compare, localDB, clusterDB])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdout.contains("DIFFERENT"), result.stdout)
        XCTAssertTrue(result.stdout.contains("prediction_blocks"), result.stdout)
        XCTAssertFalse(result.stdout.contains("prediction_blocks 0 rows"), result.stdout)
        // And as a user sees it: one customer's history, the same from both databases.
        let id = "C00000123"
        let a = try ChurnBinary.run(["history", id, "--db", localDB]), b = try ChurnBinary.run(["history", id, "--db", clusterDB])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(a.stdout.contains("1 score"), a.stdout)
        XCTAssertEqual(a.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").dropFirst(3).joined(separator: " ") },
                       b.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").dropFirst(3).joined(separator: " ") })
        for w in workers { XCTAssertEqual(w.terminate(), 0, w.log) }
    }

    func testThreeWorkersGiveTheSameBytes() throws {
        let workers = try (0..<3).map { _ in try WorkerProcess(secretFile: secret) }
        let (r, out) = try scoreOnCluster(workers, name: "three")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(out, expected)
        for w in workers { XCTAssertEqual(w.terminate(), 0, w.log) }
        // Work was spread: every worker logged its client.
        for w in workers { XCTAssertTrue(w.logContains("connected"), w.log) }
    }

    func testAWorkerKilledMidRunLosesNothing() throws {
        let workers = try (0..<3).map { _ in try WorkerProcess(secretFile: secret) }
        let victim = workers[1]
        // Killed as soon as the run has reached it (its model is loaded, shards are on the way): a
        // fixed delay let a fast run finish first.
        let (r, out) = try scoreOnCluster(workers, name: "killed", extra: ["--log-level", "info"]) { _ in
            XCTAssertTrue(victim.logContains("loaded model", timeout: 60), victim.log)
            victim.kill9()
        }
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(out, expected, "output differs after a worker was killed: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("lost worker") || r.stderr.contains("cannot connect"), r.stderr)
        for w in [workers[0], workers[2]] { XCTAssertEqual(w.terminate(), 0) }
    }

    func testWrongSecretIsReportedByAddressAndFailsAtOnce() throws {
        let other = try WorkerProcess.secretFile(in: ChurnBinary.temporaryDirectory(), secret: "another secret")
        let w = try WorkerProcess(secretFile: other)
        let start = Date()
        let (r, out) = try scoreOnCluster([w], name: "wrong")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertNil(out)
        XCTAssertTrue(r.stderr.contains("127.0.0.1:\(w.port)"), r.stderr)
        XCTAssertTrue(r.stderr.lowercased().contains("authentication"), r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
        XCTAssertTrue(w.logContains("AUTHENTICATION_FAILED"), w.log)
    }

    func testNoReachableWorkerIsAClearError() throws {
        let r = try ChurnBinary.run(["score", input!, "--model", model!, "--out", dir.appendingPathComponent("x.csv").path,
                                     "--workers", "127.0.0.1:1", "--secret-file", secret!, "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no worker accepted"), r.stderr)
        XCTAssertTrue(r.stderr.contains("127.0.0.1:1"), r.stderr)
    }

    func testLocalWorkersAreStartedAndStopped() throws {
        let before = Self.spoolDirectories()
        let out = dir.appendingPathComponent("local2.csv").path
        let r = try ChurnBinary.run(["score", input!, "--model", model!, "--out", out, "--local", "2", "--quiet", "--log-level", "debug"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("cluster, 2 workers"), r.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), expected)
        // The workers wrote their results into the run's spool directory (protocol v5), which is gone,
        // and read their shards from the input file themselves (v6).
        XCTAssertTrue(r.stderr.contains("worker writes results to "), r.stderr)
        XCTAssertTrue(r.stderr.contains("worker reads shards from the input file"), r.stderr)
        XCTAssertTrue(r.stderr.contains("sent by reference"), r.stderr)
        XCTAssertEqual(Self.spoolDirectories().subtracting(before), [])
    }

    /// A `--local` worker killed while it reads its shards from the input file (protocol v6) and its
    /// results go through the spool directory: its shards are scored by the other, the output is
    /// byte-identical, and no spool file or directory is left.
    func testALocalWorkerKilledMidRunLosesNothingAndLeavesNoSpoolFiles() throws {
        let before = Self.spoolDirectories()
        let out = dir.appendingPathComponent("local-killed.csv").path
        let args = ["score", input!, "--model", model!, "--out", out, "--quiet", "--shard-bytes", "65536", "--local", "2",
                    "--log-level", "debug"]
        var victim: Int32 = 0
        let r = try runChurn(args) { process in
            // Once results are flowing (the temporary results file has grown past the header), kill a worker.
            self.waitForResults(of: process, out: "local-killed.csv", bytes: 200_000)
            if let child = Self.children(of: process.processIdentifier).first {
                victim = child
                kill(child, SIGKILL)
            }
        }
        XCTAssertNotEqual(victim, 0, "no worker to kill")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("worker writes results to "), r.stderr)
        XCTAssertTrue(r.stderr.contains("worker reads shards from the input file"), r.stderr)
        XCTAssertTrue(r.stderr.contains("sent by reference"), r.stderr)
        XCTAssertTrue(r.stderr.contains("lost worker"), r.stderr)
        XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: out)), expected, "output differs after a local worker was killed")
        XCTAssertEqual(Self.spoolDirectories().subtracting(before), [])
    }

    /// An input file touched mid-run: every `--local` worker refuses the next reference (ERROR 17),
    /// its shards in flight are handed back (not counted as a worker's death, which on three workers
    /// would make them poison and skip their rows), and the rest go with their rows: the output is
    /// the in-process one.
    func testAnInputTouchedMidRunFallsBackToRowsAndLosesNothing() throws {
        let touched = dir.appendingPathComponent("touched-input.csv").path
        try FileManager.default.copyItem(atPath: input!, toPath: touched)
        let out = dir.appendingPathComponent("local-touched.csv").path
        let args = ["score", touched, "--model", model!, "--out", out, "--quiet", "--shard-bytes", "65536", "--local", "3",
                    "--no-history", "--log-level", "debug"]
        var didTouch = false
        let r = try runChurn(args) { process in
            // Once results are flowing, give the input a new modification time (its rows unchanged).
            self.waitForResults(of: process, out: "local-touched.csv", bytes: 100_000)
            didTouch = process.isRunning && utimes(touched, nil) == 0
        }
        XCTAssertTrue(didTouch, "the run ended before the input could be touched")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("refused to read shards from the input file"), r.stderr)
        XCTAssertFalse(r.stderr.contains("lost worker"), r.stderr)
        XCTAssertFalse(r.stderr.lowercased().contains("skipped"), r.stderr)
        XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: out)), expected, "output differs after the input was touched")
    }

    /// Standard input with `--local`: redirected from a file, the workers read that very file (the
    /// coordinator names the real file, not `/dev/stdin`, which is each worker's own stdin there);
    /// from a pipe, the shards carry their rows, without a warning. The output is the in-process one.
    func testLocalWorkersScoreStandardInputFromAFileOrAPipe() throws {
        let redirected = dir.appendingPathComponent("stdin-file.csv").path
        let command = [ChurnBinary.url.path, "score", "/dev/stdin", "--model", model!, "--out", redirected, "--quiet",
                       "--no-history", "--local", "2", "--log-level", "debug"].map { "'\($0)'" }.joined(separator: " ")
        let r = try ChurnBinary.runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \(command) < '\(input!)'"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: redirected)), expected)
        XCTAssertTrue(r.stderr.contains("worker reads shards from the input file"), r.stderr)
        XCTAssertTrue(r.stderr.contains("sent by reference"), r.stderr)
        XCTAssertFalse(r.stderr.contains("INPUT_REFUSED"), r.stderr)

        let piped = dir.appendingPathComponent("stdin-pipe.csv").path
        let p = try ChurnBinary.run(["score", "/dev/stdin", "--model", model!, "--out", piped, "--quiet", "--no-history",
                                     "--local", "2", "--log-level", "debug"],
                                    stdin: try String(contentsOfFile: input!, encoding: .utf8))
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertEqual(try? Data(contentsOf: URL(fileURLWithPath: piped)), expected)
        XCTAssertFalse(p.stderr.contains("refused to read shards"), p.stderr)
        XCTAssertFalse(p.stderr.contains("sent by reference"), p.stderr)
    }

    /// Waits (at most a minute) until the run `process`, writing `out` in this test's directory, has
    /// written `bytes` of results to its temporary file, or has ended.
    private func waitForResults(of process: Process, out: String, bytes: Int) {
        let temporary = dir.appendingPathComponent(".\(out).tmp-\(process.processIdentifier)").path
        let deadline = Date().addingTimeInterval(60)
        func size() -> Int { ((try? FileManager.default.attributesOfItem(atPath: temporary))?[.size] as? Int) ?? 0 }
        while Date() < deadline, process.isRunning, size() < bytes {
            usleep(2_000)
        }
    }

    /// Runs churn with `args`, calling `during` with the running process.
    private func runChurn(_ args: [String], during: (Process) -> Void) throws -> ChurnBinary.Result {
        let process = Process()
        process.executableURL = ChurnBinary.url
        process.arguments = args
        process.environment = ProcessInfo.processInfo.environment.merging(["CHURN_DB": ChurnBinary.historyPath]) { $1 }
        let errPipe = Pipe(), outPipe = Pipe()
        process.standardError = errPipe
        process.standardOutput = outPipe
        try process.run()
        // Read stderr as it comes, so a chatty run never blocks on a full pipe.
        let errData = LockedData()
        errPipe.fileHandleForReading.readabilityHandler = { errData.append($0.availableData) }
        during(process)
        let o = outPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errPipe.fileHandleForReading.readabilityHandler = nil
        errData.append(errPipe.fileHandleForReading.readDataToEndOfFile())
        return .init(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: errData.text)
    }

    /// Spool directories of coordinators (`churn-spool-PID-…` in /dev/shm or the temporary directory).
    static func spoolDirectories() -> Set<String> {
        var found: Set<String> = []
        for parent in ["/dev/shm", NSTemporaryDirectory()] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? [] where name.hasPrefix("churn-spool-") {
                found.insert(parent + "/" + name)
            }
        }
        return found
    }

    /// Process ids whose parent is `pid` (from /proc).
    static func children(of pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> Int32? in
            guard let child = Int32(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && Int32(fields[1]) == pid ? child : nil
        }
    }
}

/// Bytes appended from a pipe's handler thread and read once the process is done.
private final class LockedData: @unchecked Sendable {  // `data` guarded by `lock`
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data.append(more) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// Poison shards, the load tester and cluster status through real processes.
final class ClusterToolsTests: XCTestCase {
    func testAShardThatKillsWorkersRepeatedlyIsReportedAsPoison() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let input = dir.appendingPathComponent("in.csv").path
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "20000", "--seed", "3", "--no-label", "--out", input]).status, 0)
        let secret = try WorkerProcess.secretFile(in: dir)
        // Three workers that crash on customer C00012345 and are restarted by a supervisor loop.
        var supervisors: [Process] = []
        var ports: [Int] = []
        for _ in 0..<3 {
            let probe = try WorkerProcess(secretFile: secret)
            let port = probe.port
            probe.terminate()
            ports.append(port)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", "while true; do '\(ChurnBinary.url.path)' worker --listen 127.0.0.1:\(port) --secret-file '\(secret)' --threads 1 --log-level error > /dev/null 2>&1; sleep 0.1; done"]
            p.environment = ["CHURN_WORKER_CRASH_ON": "C00012345"]
            try p.run()
            supervisors.append(p)
        }
        defer {
            for s in supervisors { kill(-s.processIdentifier, SIGKILL); s.terminate() }
            _ = try? ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/pkill"), ["-f", "secret-file \(secret)"])
        }
        usleep(500_000)
        let summary = dir.appendingPathComponent("s.json").path
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", dir.appendingPathComponent("o.csv").path, "--quiet",
                                     "--no-history", "--shard-bytes", "65536", "--secret-file", secret, "--summary-json", summary,
                                     "--workers", ports.map { "127.0.0.1:\($0)" }.joined(separator: ",")], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any]
        let rejected = json["rejected"] as! [[String: Any]]
        XCTAssertEqual(rejected.count, 1, "\(rejected)")
        let reason = rejected.first?["reason"] as? String ?? ""
        XCTAssertTrue(reason.hasPrefix("poison shard: lines "), reason)
        // Every other row was scored: the poison shard's rows are missing, nothing else.
        let scored = json["rowsScored"] as! Int
        XCTAssertLessThan(scored, 20000)
        XCTAssertGreaterThan(scored, 19000)
        XCTAssertTrue(r.stdout.contains("poison"), r.stdout)
    }

    func testLoadtestReportsThroughputAndLatency() throws {
        let r = try ChurnBinary.run(["loadtest", "--local", "1", "-c", "2", "-d", "1.5", "--warmup", "0.5", "--shard-rows", "200", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertGreaterThan(json["requests"] as! Int, 10)
        XCTAssertGreaterThan(json["rowsPerSecond"] as! Double, 0)
        XCTAssertEqual((json["errors"] as! [String: Any]).count, 0, "\(json["errors"]!)")
        let latency = json["latencyMs"] as! [String: Double]
        XCTAssertGreaterThan(latency["p50"]!, 0)
        XCTAssertLessThanOrEqual(latency["p50"]!, latency["p99"]!)
        XCTAssertLessThanOrEqual(latency["p99"]!, latency["max"]!)

        // Open loop at a fixed rate: about rate × duration requests, corrected latency ≥ uncorrected.
        let fixed = try ChurnBinary.run(["loadtest", "--local", "1", "-c", "1", "-d", "2", "-R", "20", "--warmup", "0.5", "--shard-rows", "100", "--json"])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        let f = try JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(Double(f["requests"] as! Int), 40, accuracy: 6)
        XCTAssertGreaterThanOrEqual((f["latencyMs"] as! [String: Double])["p50"]!, (f["uncorrectedLatencyMs"] as! [String: Double])["p50"]!)
    }

    func testClusterStatusShowsEveryWorker() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let secret = try WorkerProcess.secretFile(in: dir)
        let w = try WorkerProcess(secretFile: secret)
        defer { w.terminate() }
        let model = try ChurnBinary.trainModel(in: dir)
        XCTAssertEqual(try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", dir.appendingPathComponent("o.csv").path,
                                            "--workers", w.address, "--secret-file", secret, "--no-history", "--quiet"]).status, 0)
        let cluster = dir.appendingPathComponent("cluster.conf").path
        try "secret-file secret\nworker \(w.address)\nworker 127.0.0.1:1 # down\n".write(toFile: cluster, atomically: true, encoding: .utf8)
        let r = try ChurnBinary.run(["cluster", "status", "--cluster", cluster, "--json"])
        XCTAssertEqual(r.status, 2, "an unreachable worker makes the exit code 2")
        let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0]["reachable"] as? Bool, true)
        XCTAssertEqual(rows[0]["rowsScored"] as? Int, 500)
        XCTAssertEqual(rows[0]["protocolVersion"] as? Int, 6)
        XCTAssertEqual((rows[0]["models"] as? [String])?.count, 1)
        XCTAssertEqual(rows[1]["reachable"] as? Bool, false)
    }
}
