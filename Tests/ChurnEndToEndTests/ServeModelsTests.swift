import Foundation
import XCTest

/// The registry through `churn serve`: without `--model` it scores with the champion, promote and
/// roll back change what the next upload is scored with, the models page and retrain, and a run's
/// drift warnings on its page.
final class ServeModelsTests: XCTestCase {
    private var server: ServeProcess?

    override func tearDown() {
        if let server { XCTAssertEqual(server.stop(), 0, server.log) }
    }

    private func hashOfUpload(_ server: ServeProcess, _ file: String) throws -> (id: Int64, hash: String) {
        let id = try server.upload(URL(fileURLWithPath: file))
        let run = try server.waitForRun(id)
        XCTAssertEqual(run["status"] as? String, "succeeded", "\(run)")
        return (id, try XCTUnwrap((run["summary"] as? [String: Any])?["modelHash"] as? String, "\(run)"))
    }

    func testServeScoresWithTheChampionAndFollowsPromoteAndRollback() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let db = data.appendingPathComponent("history.sqlite").path
        XCTAssertEqual(try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--register", "--db", db]).status, 0)
        XCTAssertEqual(try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--ignore", "open_tickets,usage_drop_pct",
                                            "--register", "--db", db]).status, 0)
        let list = try JSONSerialization.jsonObject(with: Data(try ChurnBinary.run(["models", "list", "--json", "--db", db]).stdout.utf8)) as! [[String: Any]]
        let hash1 = list[0]["hash"] as! String, hash2 = list[1]["hash"] as! String

        let server = try ServeProcess(model: nil, dataDir: data)
        self.server = server
        XCTAssertEqual(try hashOfUpload(server, ChurnBinary.testCSV).hash, hash1)

        let promote = try server.request("POST", "/api/v1/models/2/promote")
        XCTAssertEqual(promote.status, 200, promote.text)
        XCTAssertEqual(((try promote.json()) as! [[String: Any]]).map { $0["champion"] as? Bool }, [false, true])
        XCTAssertEqual(try hashOfUpload(server, ChurnBinary.testCSV).hash, hash2)
        XCTAssertTrue(try server.get("/models").text.contains("version 2 (the champion)"))

        let rollback = try server.request("POST", "/api/v1/models/rollback")
        XCTAssertEqual(rollback.status, 200, rollback.text)
        XCTAssertEqual(try hashOfUpload(server, ChurnBinary.testCSV).hash, hash1)
        // Nothing before the first champion: a conflict, not a crash.
        XCTAssertEqual(try server.request("POST", "/api/v1/models/rollback").status, 409)
        XCTAssertEqual(try server.request("POST", "/api/v1/models/7/promote").status, 409)

        // The CLI sees what the dashboard did, in the same registry.
        let after = try JSONSerialization.jsonObject(with: Data(try ChurnBinary.run(["models", "list", "--json", "--db", db]).stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(after.map { $0["champion"] as? Bool }, [true, false])
    }

    func testModelsPageRetrainAndDriftWarningsOnTheRunPage() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let data = dir.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let db = data.appendingPathComponent("history.sqlite").path
        XCTAssertEqual(try ChurnBinary.run(["train", ChurnBinary.trainCSV, "--label", "churn_label", "--register", "--db", db]).status, 0)
        let server = try ServeProcess(model: nil, dataDir: data)
        self.server = server

        let page = try server.get("/models")
        XCTAssertEqual(page.status, 200)
        for id in ["model-versions", "roc-chart", "calibration-chart", "coefficients-chart", "health-scorecard", "retrain-form"] {
            XCTAssertTrue(page.text.contains("id=\"\(id)\""), "models page lacks #\(id)")
        }
        XCTAssertTrue(page.text.contains("<polyline class=\"roc\""))
        XCTAssertTrue(page.text.contains("class=\"bar raises\"") && page.text.contains("class=\"bar lowers\""), "signed coefficient bars")
        XCTAssertFalse(page.text.contains("<script>"), "no inline script")
        XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "no external resources")

        // Retrain from the form: multipart with the labelled file and the form's fields.
        let boundary = "churn-test-boundary"
        var body = Data()
        for (name, value) in [("label", "churn_label"), ("holdout", "0.25"), ("seed", "3")] {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"train.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
        body += try Data(contentsOf: URL(fileURLWithPath: ChurnBinary.trainCSV))
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        let retrain = try server.request("POST", "/models/retrain", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        XCTAssertEqual(retrain.status, 200, retrain.text)
        XCTAssertTrue(retrain.text.contains("id=\"retrain-decision\""), retrain.text)
        XCTAssertTrue(retrain.text.contains("same 250 held-out rows"), retrain.text)
        XCTAssertEqual(retrain.text.components(separatedBy: "<polyline class=\"roc\"").count - 1, 2, "champion and challenger ROC curves")
        let versions = try server.get("/api/v1/models").json() as! [[String: Any]]
        XCTAssertEqual(versions.count, 2)
        XCTAssertEqual(versions[1]["metrics_kind"] as? String, "holdout")

        // A run of a file with one feature shifted shows that feature's drift warning on its page.
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        let column = header.firstIndex(of: "usage_drop_pct")!
        let shifted = lines.map { line -> String in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[column] = String(Double(fields[column])! + 35)
            return fields.joined(separator: ",")
        }
        let shiftedPath = dir.appendingPathComponent("shifted.csv").path
        try ([header.joined(separator: ",")] + shifted).joined(separator: "\n").appending("\n").write(toFile: shiftedPath, atomically: true, encoding: .utf8)
        let id = try server.upload(URL(fileURLWithPath: shiftedPath))
        XCTAssertEqual(try server.waitForRun(id)["status"] as? String, "succeeded")
        let run = try server.get("/runs/\(id)").text
        XCTAssertTrue(run.contains("id=\"drift\""), run)
        let warnings = run.components(separatedBy: "class=\"drift-warning warning\"").dropFirst()
        XCTAssertEqual(warnings.count, 1, run)
        XCTAssertTrue(warnings.first?.contains("usage_drop_pct") ?? false)
    }
}
