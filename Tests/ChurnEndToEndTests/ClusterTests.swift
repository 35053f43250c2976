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
        let result: ChurnBinary.Result
        if let during {
            let process = Process()
            process.executableURL = ChurnBinary.url
            process.arguments = args
            let errPipe = Pipe(), outPipe = Pipe()
            process.standardError = errPipe
            process.standardOutput = outPipe
            try process.run()
            during(process)
            let o = outPipe.fileHandleForReading.readDataToEndOfFile()
            let e = errPipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            result = .init(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        } else {
            result = try ChurnBinary.run(args)
        }
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

    func testThreeWorkersGiveTheSameBytes() throws {
        let workers = try (0..<3).map { _ in try WorkerProcess(secretFile: secret) }
        let (r, out) = try scoreOnCluster(workers, name: "three")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(out, expected)
        for w in workers { XCTAssertEqual(w.terminate(), 0, w.log) }
        // Work was spread: every worker logged its client.
        for w in workers { XCTAssertTrue(w.log.contains("connected"), w.log) }
    }

    func testAWorkerKilledMidRunLosesNothing() throws {
        let workers = try (0..<3).map { _ in try WorkerProcess(secretFile: secret) }
        let victim = workers[1]
        let (r, out) = try scoreOnCluster(workers, name: "killed", extra: ["--log-level", "info"]) { _ in
            usleep(400_000)
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
        XCTAssertTrue(w.log.contains("AUTHENTICATION_FAILED"), w.log)
    }

    func testNoReachableWorkerIsAClearError() throws {
        let r = try ChurnBinary.run(["score", input!, "--model", model!, "--out", dir.appendingPathComponent("x.csv").path,
                                     "--workers", "127.0.0.1:1", "--secret-file", secret!, "--quiet"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no worker accepted"), r.stderr)
        XCTAssertTrue(r.stderr.contains("127.0.0.1:1"), r.stderr)
    }

    func testLocalWorkersAreStartedAndStopped() throws {
        let out = dir.appendingPathComponent("local2.csv").path
        let r = try ChurnBinary.run(["score", input!, "--model", model!, "--out", out, "--local", "2", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("cluster, 2 workers"), r.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out)), expected)
    }
}
