import Foundation
import XCTest

/// `--db`, `churn runs` and `churn history` through the real binary and a real SQLite file.
final class HistoryTests: XCTestCase {
    func testRunsAreRecordedAndNewlyHighRiskCustomersAreFlagged() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let db = dir.appendingPathComponent("history.sqlite").path
        let week1 = dir.appendingPathComponent("week1"), week2 = dir.appendingPathComponent("week2")
        try FileManager.default.createDirectory(at: week1, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: week2, withIntermediateDirectories: true)
        let original = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8)
        try original.write(to: week1.appendingPathComponent("customers.csv"), atomically: true, encoding: .utf8)
        // Next week, customer C00000001 has many tickets and failed payments.
        var lines = original.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields[0], "C00000001")
        fields[6] = "12"; fields[7] = "6"; fields[5] = "80"
        lines[1] = fields.joined(separator: ",")
        try lines.joined(separator: "\n").write(to: week2.appendingPathComponent("customers.csv"), atomically: true, encoding: .utf8)

        func score(_ folder: URL) throws -> [String: Any] {
            let summary = folder.appendingPathComponent("summary.json").path
            let r = try ChurnBinary.run(["score", folder.appendingPathComponent("customers.csv").path, "--model", model,
                                         "--out", folder.appendingPathComponent("out.csv").path, "--db", db, "--quiet", "--summary-json", summary])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any]
        }
        let first = try score(week1)
        let second = try score(week2)
        XCTAssertEqual(first["runId"] as? Int, 1)
        XCTAssertEqual(second["runId"] as? Int, 2)
        XCTAssertEqual(second["newlyHighRisk"] as? [String], ["C00000001"])

        let runs = try ChurnBinary.run(["runs", "--db", db])
        XCTAssertEqual(runs.status, 0, runs.stderr)
        XCTAssertEqual(runs.stdout.components(separatedBy: "succeeded").count - 1, 2, runs.stdout)

        // The same file again, scored on two worker processes: recorded the same way, nobody newly High.
        let summary3 = dir.appendingPathComponent("summary3.json").path
        let third = try ChurnBinary.run(["score", week2.appendingPathComponent("customers.csv").path, "--model", model, "--local", "2",
                                         "--out", dir.appendingPathComponent("out3.csv").path, "--db", db, "--quiet",
                                         "--summary-json", summary3])
        XCTAssertEqual(third.status, 0, third.stderr)
        let thirdSummary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary3))) as! [String: Any]
        XCTAssertEqual(thirdSummary["runId"] as? Int, 3)
        XCTAssertEqual(thirdSummary["newlyHighRisk"] as? [String], [])

        let history = try ChurnBinary.run(["history", "C00000001", "--db", db])
        XCTAssertEqual(history.status, 0, history.stderr)
        XCTAssertTrue(history.stdout.contains("3 scores"), history.stdout)
        let rows = history.stdout.split(separator: "\n").filter { $0.hasPrefix("3 ") || $0.hasPrefix("2 ") || $0.hasPrefix("1 ") }
        XCTAssertEqual(rows.map { $0.split(separator: " ").first.map(String.init) ?? "" }, ["3", "2", "1"], history.stdout)
        XCTAssertTrue(rows[0].contains("High") && rows[1].contains("High") && !rows[2].contains("High"), history.stdout)

        // One run's customers, a page at a time: High only, riskiest first, or found by id.
        let page = try ChurnBinary.run(["customers", "2", "--level", "High", "--search", "C00000001", "--db", db])
        XCTAssertEqual(page.status, 0, page.stderr)
        XCTAssertTrue(page.stdout.contains("1 matching"), page.stdout)
        XCTAssertTrue(page.stdout.contains("C00000001"), page.stdout)
        let riskiest = try ChurnBinary.run(["customers", "2", "--sort", "risk", "--limit", "3", "--db", db])
        XCTAssertEqual(riskiest.status, 0, riskiest.stderr)
        let probabilities = riskiest.stdout.split(separator: "\n").dropFirst(2).compactMap { line in
            line.split(separator: " ").first(where: { $0.hasSuffix("%") }).flatMap { Double($0.dropLast()) }
        }
        XCTAssertEqual(probabilities.count, 3, riskiest.stdout)
        XCTAssertEqual(probabilities, probabilities.sorted(by: >), riskiest.stdout)
        let none = try ChurnBinary.run(["customers", "99", "--db", db])
        XCTAssertNotEqual(none.status, 0)

        // A run that fails is recorded as failed, never as a success.
        let bad = dir.appendingPathComponent("bad.csv").path
        try "customer_id,segment\nC1,enterprise\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let failed = try ChurnBinary.run(["score", bad, "--model", model, "--out", dir.appendingPathComponent("x.csv").path, "--db", db])
        XCTAssertNotEqual(failed.status, 0)
        let after = try ChurnBinary.run(["runs", "--db", db])
        XCTAssertTrue(after.stdout.contains("failed"), after.stdout)
        XCTAssertTrue(after.stdout.contains("missing required column"), after.stdout)
    }

    func testReportIsASelfContainedPage() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let report = dir.appendingPathComponent("report.html").path
        let r = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", dir.appendingPathComponent("o.csv").path,
                                     "--report", report, "--no-history", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"))
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("<script src"))
        XCTAssertTrue(html.contains("Subject"), "drafted offers are in the report")
    }
}
