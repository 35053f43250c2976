import Foundation
import XCTest

/// Drift through the real binary: PSI per numeric feature against a numpy reference, the warning for
/// a shifted feature only, the same numbers from a cluster run, and old model files without bins.
final class DriftTests: XCTestCase {
    /// The test set with `usage_drop_pct` raised by 35 points: one feature shifted, the rest as is.
    private func shiftedFile(in dir: URL) throws -> String {
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let column = header.firstIndex(of: "usage_drop_pct")!
        let shifted = lines.map { line -> String in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[column] = String(Double(fields[column])! + 35)
            return fields.joined(separator: ",")
        }
        let path = dir.appendingPathComponent("shifted.csv").path
        try ([header.joined(separator: ",")] + shifted).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func score(_ input: String, model: String, in dir: URL, _ name: String, extra: [String] = []) throws -> (stdout: String, summary: [String: Any]) {
        let summary = dir.appendingPathComponent("\(name)-summary.json").path
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", dir.appendingPathComponent("\(name)-scores.csv").path,
                                     "--summary-json", summary, "--no-history", "--quiet"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return (r.stdout, try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any])
    }

    private func psiByFeature(_ summary: [String: Any]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: (summary["drift"] as! [[String: Any]]).map { ($0["feature"] as! String, $0["psi"] as! Double) })
    }

    func testPSIMatchesNumpyAndOnlyTheShiftedFeatureWarns() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let shifted = try shiftedFile(in: dir)
        let run = try score(shifted, model: model, in: dir, "shifted")
        let psi = psiByFeature(run.summary)
        XCTAssertEqual(psi.count, 9, "one PSI per numeric feature")

        // The reference: deciles of the training column (numpy's default linear quantiles), bins by
        // searchsorted(side="left"), shares floored at 1e-4.
        let script = """
            import csv, json, sys
            import numpy as np
            model = json.load(open(sys.argv[1]))
            def column(path, name):
                with open(path) as f:
                    return np.array([float(r[name]) for r in csv.DictReader(f)])
            out = {}
            for feature in model["numeric"]:
                name = feature["column"]
                train, scored = column(sys.argv[2], name), column(sys.argv[3], name)
                edges = np.unique(np.quantile(train, np.arange(1, 10) / 10))
                assert np.allclose(edges, feature["bins"]["edges"], rtol=0, atol=1e-9), (name, edges, feature["bins"]["edges"])
                e = np.bincount(np.searchsorted(edges, train, side="left"), minlength=len(edges) + 1) / len(train)
                a = np.bincount(np.searchsorted(edges, scored, side="left"), minlength=len(edges) + 1) / len(scored)
                e, a = np.maximum(e, 1e-4), np.maximum(a, 1e-4)
                out[name] = float(np.sum((a - e) * np.log(a / e)))
            print(json.dumps(out))
            """
        let scriptPath = dir.appendingPathComponent("psi.py").path
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let reference = try ChurnBinary.python([scriptPath, model, ChurnBinary.trainCSV, shifted])
        XCTAssertEqual(reference.status, 0, "numpy reference failed (is numpy installed? scripts/test installs it): \(reference.stderr)")
        let expected = try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as! [String: Double]
        XCTAssertEqual(Set(expected.keys), Set(psi.keys))
        for (feature, value) in expected { XCTAssertEqual(psi[feature]!, value, accuracy: 1e-9, feature) }

        // Only the shifted feature is over 0.2, in the JSON and in the printed summary.
        XCTAssertGreaterThan(psi["usage_drop_pct"]!, 0.2)
        for (feature, value) in psi where feature != "usage_drop_pct" { XCTAssertLessThan(value, 0.2, feature) }
        let warned = (run.summary["drift"] as! [[String: Any]]).filter { $0["warning"] as? Bool == true }.map { $0["feature"] as! String }
        XCTAssertEqual(warned, ["usage_drop_pct"])
        let warningLines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("Drift warning:") }
        XCTAssertEqual(warningLines.count, 1, run.stdout)
        XCTAssertTrue(warningLines.first?.contains("usage_drop_pct") ?? false, run.stdout)

        // The unshifted file warns about nothing.
        let calm = try score(ChurnBinary.testCSV, model: model, in: dir, "calm")
        XCTAssertFalse(calm.stdout.contains("Drift warning"), calm.stdout)
        XCTAssertTrue(psiByFeature(calm.summary).values.allSatisfy { $0 < 0.2 })
    }

    func testClusterRunGivesTheSameDrift() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let shifted = try shiftedFile(in: dir)
        let local = try score(shifted, model: model, in: dir, "local", extra: ["--shard-bytes", "4096"])
        let cluster = try score(shifted, model: model, in: dir, "cluster", extra: ["--local", "2", "--shard-bytes", "4096"])
        let a = try JSONSerialization.data(withJSONObject: local.summary["drift"]!, options: [.sortedKeys])
        let b = try JSONSerialization.data(withJSONObject: cluster.summary["drift"]!, options: [.sortedKeys])
        XCTAssertEqual(a, b)
        let ua = try JSONSerialization.data(withJSONObject: local.summary["unseenCategoryShares"]!, options: [.sortedKeys])
        let ub = try JSONSerialization.data(withJSONObject: cluster.summary["unseenCategoryShares"]!, options: [.sortedKeys])
        XCTAssertEqual(ua, ub)
        XCTAssertTrue(cluster.stdout.contains("Drift warning: usage_drop_pct"), cluster.stdout)
    }

    func testModelWithoutTrainingBinsStillScoresAndSaysSoOnce() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
        json["numeric"] = (json["numeric"] as! [[String: Any]]).map { f in f.filter { $0.key != "bins" } }
        let old = dir.appendingPathComponent("old-model.json").path
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: old))
        let run = try score(ChurnBinary.testCSV, model: old, in: dir, "old")
        XCTAssertNil(run.summary["drift"])
        XCTAssertNotNil(run.summary["driftNote"] as? String)
        XCTAssertEqual(run.stdout.components(separatedBy: "no training bins").count - 1, 1, run.stdout)
        XCTAssertEqual(run.summary["rowsScored"] as? Int, 500)
    }
}
