import Foundation
import XCTest

/// The model registry through the real binary: registering, promoting, rolling back, `@champion`,
/// and champion-against-challenger retraining.
final class ModelRegistryTests: XCTestCase {
    private func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    private func registryList(_ db: String) throws -> [[String: Any]] {
        let r = try ChurnBinary.run(["models", "list", "--json", "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try json(r.stdout) as! [[String: Any]]
    }

    /// Scores the test set with `model` and returns (the summary's model hash, the results file).
    private func score(_ model: String, db: String, in dir: URL, _ name: String) throws -> (hash: String, results: Data) {
        let out = dir.appendingPathComponent("\(name).csv").path, summary = dir.appendingPathComponent("\(name).json").path
        let r = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--db", db, "--out", out, "--summary-json", summary, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try json(String(contentsOfFile: summary, encoding: .utf8)) as! [String: Any]
        return (s["modelHash"] as! String, try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    func testPromoteAndRollbackChangeWhatScoreUses() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let db = dir.appendingPathComponent("registry.sqlite").path
        let first = try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--register", "--db", db])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Registered model version 1"), first.stdout)
        // A different model: fewer features.
        let second = try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--ignore", "open_tickets,usage_drop_pct",
                                          "--register", "--db", db, "--out", dir.appendingPathComponent("m2.json").path])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("Registered model version 2"), second.stdout)

        var list = try registryList(db)
        XCTAssertEqual(list.map { $0["version"] as? Int }, [1, 2])
        XCTAssertEqual(list.map { $0["champion"] as? Bool }, [true, false])
        XCTAssertGreaterThan(list[0]["auc"] as! Double, 0.9)
        let hash1 = list[0]["hash"] as! String, hash2 = list[1]["hash"] as! String
        XCTAssertNotEqual(hash1, hash2)
        XCTAssertEqual(hash1.count, 64)

        let before = try score("@champion", db: db, in: dir, "before")
        XCTAssertEqual(before.hash, hash1)
        XCTAssertEqual(try score("@2", db: db, in: dir, "explicit").hash, hash2)

        let promote = try ChurnBinary.run(["models", "promote", "2", "--db", db])
        XCTAssertEqual(promote.status, 0, promote.stderr)
        list = try registryList(db)
        XCTAssertEqual(list.map { $0["champion"] as? Bool }, [false, true])
        let promoted = try score("@champion", db: db, in: dir, "promoted")
        XCTAssertEqual(promoted.hash, hash2)
        XCTAssertNotEqual(promoted.results, before.results)
        // The registry's bytes are the model file's: scoring the file gives the same hash.
        XCTAssertEqual(try score(dir.appendingPathComponent("m2.json").path, db: db, in: dir, "file").hash, hash2)
        let history = try ChurnBinary.run(["models", "show", "2", "--db", db])
        XCTAssertTrue(history.stdout.contains("champions   v1 → v2"), history.stdout)

        let rollback = try ChurnBinary.run(["models", "rollback", "--db", db])
        XCTAssertEqual(rollback.status, 0, rollback.stderr)
        XCTAssertTrue(rollback.stdout.contains("Model version 1 is the champion again"), rollback.stdout)
        let back = try score("@champion", db: db, in: dir, "back")
        XCTAssertEqual(back.hash, hash1)
        XCTAssertEqual(back.results, before.results)

        let again = try ChurnBinary.run(["models", "rollback", "--db", db])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("none before it"), again.stderr)
        let missing = try ChurnBinary.run(["models", "promote", "9", "--db", db])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no model version 9"), missing.stderr)
        let bad = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", "@latest", "--db", db, "--out", dir.appendingPathComponent("x.csv").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("@champion or @N"), bad.stderr)

        let evaluation = try ChurnBinary.run(["evaluate", "@champion", ChurnBinary.testCSV, "--db", db, "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        XCTAssertGreaterThan((try json(evaluation.stdout) as! [String: Any])["auc"] as! Double, 0.9)
        let show = try ChurnBinary.run(["models", "show", "1", "--db", db])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(show.stdout.contains(hash1) && show.stdout.contains("(champion)") && show.stdout.contains("failed_payments"), show.stdout)
    }

    func testChallengerTrainedOnShuffledLabelsIsNotPromoted() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let db = dir.appendingPathComponent("registry.sqlite").path
        XCTAssertEqual(try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--register", "--db", db]).status, 0)
        // The same customers with their labels permuted (a fixed permutation: a rotation by 337 rows).
        var lines = try String(contentsOfFile: ChurnBinary.trainCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines.removeFirst()
        let labels = lines.map { String($0.split(separator: ",").last!) }
        let shuffled = lines.enumerated().map { i, line in
            String(line[..<line.lastIndex(of: ",")!]) + "," + labels[(i + 337) % labels.count]
        }
        let shuffledPath = dir.appendingPathComponent("shuffled.csv").path
        try ([header] + shuffled).joined(separator: "\n").appending("\n").write(toFile: shuffledPath, atomically: true, encoding: .utf8)

        let r = try ChurnBinary.run(["retrain", shuffledPath, "--label", "churn_label", "--holdout-file", ChurnBinary.testCSV, "--json", "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        let outcome = try json(r.stdout) as! [String: Any]
        XCTAssertEqual(outcome["promoted"] as? Bool, false)
        let champion = outcome["champion"] as! [String: Any], challenger = outcome["challenger"] as! [String: Any]
        XCTAssertEqual(champion["version"] as? Int, 1)
        XCTAssertEqual(challenger["version"] as? Int, 2)
        XCTAssertEqual(champion["rows"] as? Int, 500)
        XCTAssertEqual(challenger["rows"] as? Int, 500)
        XCTAssertLessThan(challenger["auc"] as! Double, 0.7)
        XCTAssertGreaterThan(champion["auc"] as! Double, 0.9)
        for key in ["accuracy", "pr_auc", "log_loss", "brier", "calibration_error"] {
            XCTAssertNotNil(champion[key] as? Double, key)
            XCTAssertNotNil(challenger[key] as? Double, key)
        }
        XCTAssertEqual((champion["calibration"] as? [Any])?.count, 10)
        // Registered all the same, and the champion is unchanged.
        let list = try registryList(db)
        XCTAssertEqual(list.map { $0["champion"] as? Bool }, [true, false])
    }

    func testRetrainHoldsOutStratifiedRowsAndPromotesABetterChallenger() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let db = dir.appendingPathComponent("registry.sqlite").path
        // A weak champion: it never saw the strongest signals.
        let weak = try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--register", "--db", db,
                                        "--ignore", "open_tickets,usage_drop_pct,failed_payments,recent_support_escalations"])
        XCTAssertEqual(weak.status, 0, weak.stderr)
        let r = try ChurnBinary.run(["retrain", ChurnBinary.trainCSV, "--label", "churn_label", "--holdout", "0.25", "--seed", "7", "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("held out 250 rows"), r.stdout)
        for metric in ["accuracy", "ROC AUC", "PR AUC", "log loss", "Brier", "calibration"] {
            XCTAssertTrue(r.stdout.contains(metric), "retrain output lacks \(metric): \(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("Registered model version 2"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Promoted: model version 2 is the champion"), r.stdout)
        XCTAssertEqual(try registryList(db).map { $0["champion"] as? Bool }, [false, true])

        // Against the new champion, with --json: both sides measured on the same 250 rows.
        let again = try ChurnBinary.run(["retrain", ChurnBinary.trainCSV, "--label", "churn_label", "--seed", "8", "--holdout", "0.25",
                                         "--json", "--db", db])
        XCTAssertEqual(again.status, 0, again.stderr)
        let outcome = try json(again.stdout) as! [String: Any]
        XCTAssertNotNil(outcome["promoted"] as? Bool)
        XCTAssertEqual((outcome["champion"] as! [String: Any])["version"] as? Int, 2)
        XCTAssertEqual((outcome["champion"] as! [String: Any])["rows"] as? Int, 250)
        XCTAssertEqual((outcome["challenger"] as! [String: Any])["version"] as? Int, 3)
        XCTAssertEqual((outcome["challenger"] as! [String: Any])["rows"] as? Int, 250)
    }
}
