import Foundation
import XCTest

/// Ids a spreadsheet would run as formulas come out as text, with the same bytes from the
/// in-process engine, the worker cluster and the API.
final class CSVInjectionEndToEndTests: XCTestCase {
    func testFormulaIdsAreNeutralisedAlikeInProcessOnTheClusterAndThroughTheAPI() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        lines = Array(lines.prefix(41))
        let hostile = ["\"=HYPERLINK(\"\"http://x\"\")\"", "+1+2", "-A1", "@SUM(1)", "-12", "\"\tx\""]
        for (i, id) in hostile.enumerated() {
            var fields = lines[i + 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[0] = id
            lines[i + 1] = fields.joined(separator: ",")
        }
        let input = dir.appendingPathComponent("hostile.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)

        func score(_ extra: [String]) throws -> Data {
            let out = dir.appendingPathComponent("out-\(UUID().uuidString).csv")
            let r = try ChurnBinary.run(["score", input.path, "--model", model, "--out", out.path, "--quiet", "--no-history"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            return try Data(contentsOf: out)
        }
        let local = try score([])
        let cluster = try score(["--local", "2"])
        XCTAssertEqual(local, cluster, "the cluster's results differ from the in-process ones")
        let server = try ServeProcess(model: model, dataDir: dir.appendingPathComponent("data"))
        defer { server.stop() }
        let id = try server.upload(input)
        XCTAssertEqual(try server.waitForRun(id)["status"] as? String, "succeeded")
        XCTAssertEqual(try server.get("/api/v1/runs/\(id)/results.csv").body, local, "the API's results differ from the CLI's")

        let ids = String(decoding: local, as: UTF8.self).components(separatedBy: "\n").dropFirst().prefix(6)
            .map { line -> String in
                line.hasPrefix("\"") ? String(line.dropFirst().prefix { $0 != "\"" || false }) : String(line.prefix { $0 != "," })
            }
        XCTAssertEqual(ids[0], "'=HYPERLINK(", "a formula stays a formula: \(ids)")
        XCTAssertEqual(Array(ids[1...4]), ["'+1+2", "'-A1", "'@SUM(1)", "-12"])
        XCTAssertEqual(ids[5], "'\tx")
        XCTAssertTrue(String(decoding: local, as: UTF8.self).contains("\n\"'=HYPERLINK(\"\"http://x\"\")\","), "the formula cell is not quoted text")
    }
}
