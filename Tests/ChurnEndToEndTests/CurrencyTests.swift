import Foundation
import XCTest

/// Money amounts carry the currency a policy file or `--currency` names, in the printed summary,
/// the summary JSON (which the dashboard's run page reads) and the HTML report; "$" otherwise.
final class CurrencyTests: XCTestCase {
    func testThePolicysCurrencyAndTheFlagThatOverridesIt() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = dir.appendingPathComponent("revenue-model.json").path
        let train = try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--revenue", "mrr", "--out", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        let policy = dir.appendingPathComponent("policy.json").path
        try #"{"currency": "€"}"#.write(toFile: policy, atomically: true, encoding: .utf8)
        func score(_ extra: [String]) throws -> (stdout: String, json: [String: Any], report: String) {
            let out = dir.appendingPathComponent("out.csv").path, summary = dir.appendingPathComponent("summary.json").path
            let report = dir.appendingPathComponent("report.html").path
            let r = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", out, "--no-history", "--quiet",
                                         "--summary-json", summary, "--report", report] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any] ?? [:]
            return (r.stdout, json, try String(contentsOfFile: report, encoding: .utf8))
        }

        let plain = try score([])
        XCTAssertTrue(plain.stdout.contains("Revenue (mrr): total $"), plain.stdout)
        XCTAssertNil(plain.json["currency"])
        XCTAssertFalse(plain.report.contains("€"))

        let euro = try score(["--policy", policy])
        XCTAssertTrue(euro.stdout.contains("Revenue (mrr): total €"), euro.stdout)
        XCTAssertFalse(euro.stdout.contains("$"), euro.stdout)
        XCTAssertEqual(euro.json["currency"] as? String, "€")
        XCTAssertTrue(euro.report.contains("€"))

        let francs = try score(["--policy", policy, "--currency", "CHF "])
        XCTAssertTrue(francs.stdout.contains("Revenue (mrr): total CHF "), francs.stdout)
        XCTAssertEqual(francs.json["currency"] as? String, "CHF ")
    }

    func testASymbolThatCouldBeMarkupIsRefusedNamingWhereItCameFrom() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let out = dir.appendingPathComponent("out.csv").path
        let flag = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", out, "--no-history", "--currency", "<b>"])
        XCTAssertEqual(flag.status, 1)
        XCTAssertTrue(flag.stderr.contains("--currency: a currency symbol may hold letters, currency signs, spaces and dots, not U+3C"),
                      flag.stderr)
        let policy = dir.appendingPathComponent("policy.json").path
        try #"{"currency": ""}"#.write(toFile: policy, atomically: true, encoding: .utf8)
        let file = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", out, "--no-history", "--policy", policy])
        XCTAssertEqual(file.status, 1)
        XCTAssertTrue(file.stderr.contains("policy.json: currency: a currency symbol has 1 to 5 characters, not 0"), file.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }
}
