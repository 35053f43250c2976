import Foundation
import XCTest

final class ScoreTests: XCTestCase {
    func testBadRowsAreReportedAndSkippedAndTheRestIsScored() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let input = dir.appendingPathComponent("in.csv").path
        var text = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8)
        text += "C9,x@y,enterprise,north,abc,1,2,3,4,5,6,7,8,0\n"
        text += "C10,short\n"
        text += "C11,c@x,mid-market,south,,10,0,0,1,30,100,0,20,1\n"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.csv").path
        let summary = dir.appendingPathComponent("summary.json").path
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", out, "--summary-json", summary, "--top", "5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("in.csv:502: column 5 'avg_daily_usage': 'abc' is not a number"), r.stdout)
        XCTAssertTrue(r.stdout.contains("in.csv:503: expected 14 fields, found 2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Health distribution"))
        XCTAssertTrue(r.stdout.contains("Risk distribution"))
        let rows = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 1 + 501)
        XCTAssertTrue(rows[0].hasPrefix("customer_id,churn_probability,risk_score,risk_level,health_score,driver_1"))
        XCTAssertTrue(rows.last!.hasPrefix("C11,"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any]
        XCTAssertEqual(json["rowsScored"] as? Int, 501)
        XCTAssertEqual(json["rowsRejected"] as? Int, 2)
        XCTAssertEqual(json["imputedCells"] as? Int, 1)
        XCTAssertEqual((json["top"] as? [Any])?.count, 5)
        let bins = json["healthHistogram"] as! [[String: Any]]
        XCTAssertEqual(bins.map { $0["count"] as! Int }.reduce(0, +), 501)
        let risk = json["riskDistribution"] as! [String: Int]
        XCTAssertEqual(risk.values.reduce(0, +), 501)
    }

    func testMissingColumnIsOneErrorAndNothingIsWritten() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let input = dir.appendingPathComponent("in.csv").path
        try "customer_id,segment\nC1,enterprise\n".write(toFile: input, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.csv").path
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("in.csv:1: missing required columns 'avg_daily_usage'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("tmp") }, [])
        let missing = try ChurnBinary.run(["score", dir.appendingPathComponent("nope.csv").path, "--model", model, "--out", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nope.csv: No such file"), missing.stderr)
    }

    func testRankingsDiffer() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        func topIDs(_ rank: String) throws -> [String] {
            let summary = dir.appendingPathComponent("s-\(rank).json").path
            let r = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", dir.appendingPathComponent("o.csv").path,
                                         "--rank-by", rank, "--top", "10", "--summary-json", summary, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any]
            return (json["top"] as! [[String: Any]]).map { $0["id"] as! String }
        }
        let combined = try topIDs("combined"), risk = try topIDs("risk"), revenue = try topIDs("revenue")
        XCTAssertEqual(combined.count, 10)
        XCTAssertNotEqual(combined, risk)
        XCTAssertNotEqual(revenue, risk)
    }
}
