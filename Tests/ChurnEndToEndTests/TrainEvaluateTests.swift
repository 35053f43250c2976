import Foundation
import XCTest

final class TrainEvaluateTests: XCTestCase {
    func testAccuracyOnTheCommittedTestSetExceeds85Percent() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let r = try ChurnBinary.run(["evaluate", model, ChurnBinary.testCSV, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["rows"] as? Int, 500)
        XCTAssertGreaterThan(json["accuracy"] as! Double, 0.85)
        XCTAssertGreaterThan(json["auc"] as! Double, 0.9)
        XCTAssertNotNil(json["log_loss"] as? Double)
        let text = try ChurnBinary.run(["evaluate", model, ChurnBinary.testCSV])
        XCTAssertTrue(text.stdout.contains("ROC AUC"), text.stdout)
        XCTAssertTrue(text.stdout.contains("confusion"), text.stdout)
    }

    func testModelMatchesScikitLearn() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let script = ChurnBinary.root.appendingPathComponent("scripts/py/sklearn_compare.py").path
        let r = try ChurnBinary.python([script, model, ChurnBinary.trainCSV, ChurnBinary.testCSV])
        XCTAssertEqual(r.status, 0, "scikit-learn comparison failed (is scikit-learn installed? scripts/test installs it): \(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertLessThan(json["max_coef_diff"] as! Double, 1e-3)
        XCTAssertLessThan(json["intercept_diff"] as! Double, 1e-3)
        XCTAssertLessThan(json["max_std_diff"] as! Double, 1e-9)
        let sklearnAUC = json["sklearn_auc"] as! Double
        XCTAssertEqual(json["churn_auc"] as! Double, sklearnAUC, accuracy: 1e-4)
        // And the AUC churn itself reports on the same data.
        let evaluation = try ChurnBinary.run(["evaluate", model, ChurnBinary.testCSV, "--json"])
        let ours = try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(ours["auc"] as! Double, sklearnAUC, accuracy: 1e-4)
    }

    func testModelFileIsReadableVersionedJSON() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
        XCTAssertEqual(json["format"] as? String, "churn-model")
        XCTAssertEqual(json["formatVersion"] as? Int, 1)
        for key in ["numeric", "categorical", "intercept", "thresholds", "health", "interventions", "training", "label"] {
            XCTAssertNotNil(json[key], key)
        }
        let training = json["training"] as! [String: Any]
        let data = training["data"] as! [String: Any]
        XCTAssertEqual(data["file"] as? String, "train.csv")
        XCTAssertEqual((data["fnv1a64"] as? String)?.count, 16)
    }

    func testTrainingErrorsAreClear() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let r = try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "no_such", "--out", dir.appendingPathComponent("m.json").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("no label column 'no_such'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path))
    }

    func testHelpDescribesEveryCommand() throws {
        let r = try ChurnBinary.run(["--help"])
        for command in ["generate", "train", "evaluate", "score", "worker", "runs", "history", "cluster", "loadtest"] {
            XCTAssertTrue(r.stdout.contains(command), "churn --help lacks \(command)")
        }
        let score = try ChurnBinary.run(["score", "--help"])
        for option in ["--model", "--out", "--top", "--rank-by", "--summary-json", "--report", "--db", "--workers", "--local", "--secret-file"] {
            XCTAssertTrue(score.stdout.contains(option), "churn score --help lacks \(option)")
        }
    }

    func testGenerateIsDeterministic() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let a = dir.appendingPathComponent("a.csv").path, b = dir.appendingPathComponent("b.csv").path
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "40000", "--seed", "9", "--out", a, "--threads", "1"]).status, 0)
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "40000", "--seed", "9", "--out", b, "--threads", "3"]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: a)), try Data(contentsOf: URL(fileURLWithPath: b)))
        let lines = try String(contentsOfFile: a, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 40001)
        let churned = lines.dropFirst().filter { $0.hasSuffix(",1") }.count
        XCTAssertGreaterThan(Double(churned) / 40000, 0.15)
        XCTAssertLessThan(Double(churned) / 40000, 0.30)
    }
}
