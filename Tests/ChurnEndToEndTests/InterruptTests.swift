import Foundation
import XCTest

/// SIGTERM to `churn score --local 2` mid-run: workers stopped, no temporary files left, the run
/// recorded as failed.
final class InterruptTests: XCTestCase {
    func testInterruptedClusterRunCleansUp() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let input = dir.appendingPathComponent("in.csv").path
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "600000", "--seed", "4", "--no-label", "--out", input]).status, 0)
        let db = dir.appendingPathComponent("h.sqlite").path
        let process = Process()
        process.executableURL = ChurnBinary.url
        process.arguments = ["score", input, "--model", model, "--out", dir.appendingPathComponent("out.csv").path, "--local", "2",
                             "--db", db, "--quiet", "--shard-bytes", "65536"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(1_200_000)
        let children = try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-P", String(process.processIdentifier)]).stdout
            .split(separator: "\n").compactMap { Int32($0) }
        XCTAssertEqual(children.count, 2, "two local workers run")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 128 + SIGTERM)
        for child in children { XCTAssertNotEqual(kill(child, 0), 0, "worker \(child) still running") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") || $0 == "out.csv" }
        XCTAssertEqual(leftovers, [])
        let runs = try ChurnBinary.run(["runs", "--db", db])
        XCTAssertTrue(runs.stdout.contains("failed"), runs.stdout)
        XCTAssertTrue(runs.stdout.contains("interrupted"), runs.stdout)
    }
}
