import Foundation
import XCTest

/// `churn serve` through a real listening server process: uploads, runs, results, customers,
/// predict, limits, errors, metrics, OpenAPI, and draining on SIGTERM.
final class ServeTests: XCTestCase {
    private var dir: URL!
    private var model = ""
    private var server: ServeProcess!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
        server = try ServeProcess(model: model, dataDir: dir.appendingPathComponent("data"))
    }

    override func tearDown() {
        server?.stop()
    }

    /// The CLI's results file and summary for `input`.
    private func cliScore(_ input: String, extra: [String] = []) throws -> (results: Data, summary: [String: Any]) {
        let out = dir.appendingPathComponent("cli-\(UUID().uuidString).csv").path
        let summary = out + ".json"
        let r = try ChurnBinary.run(["score", input, "--model", model, "--out", out, "--summary-json", summary, "--quiet", "--no-history"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any]
        return (try Data(contentsOf: URL(fileURLWithPath: out)), object)
    }

    func testRawUploadGivesTheCLIsResultsByteForByte() throws {
        let id = try server.upload(URL(fileURLWithPath: ChurnBinary.testCSV))
        let run = try server.waitForRun(id)
        XCTAssertEqual(run["status"] as? String, "succeeded", "\(run)")
        let results = try server.get("/api/v1/runs/\(id)/results.csv")
        XCTAssertEqual(results.status, 200)
        XCTAssertTrue(results.headers["content-type"]?.hasPrefix("text/csv") ?? false)
        let cli = try cliScore(ChurnBinary.testCSV)
        XCTAssertEqual(results.body, cli.results, "results.csv through the API differs from churn score's")

        // The summary is churn score --summary-json's object (paths and timing aside).
        let summary = try XCTUnwrap(run["summary"] as? [String: Any])
        for key in ["rowsScored", "rowsRejected", "riskDistribution", "healthHistogram", "revenue", "top", "rejected"] {
            XCTAssertEqual(try canonical(summary[key]), try canonical(cli.summary[key]), key)
        }
        // The run is listed, and its customers page through the store.
        let list = try server.get("/api/v1/runs").object()["runs"] as? [[String: Any]]
        XCTAssertEqual(list?.first?["id"] as? NSNumber, NSNumber(value: id))
        let page = try server.get("/api/v1/runs/\(id)/customers?risk=high&limit=5").object()
        let rows = try XCTUnwrap(page["customers"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 5)
        XCTAssertTrue(rows.allSatisfy { $0["riskLevel"] as? String == "High" })
        let next = try XCTUnwrap(page["nextCursor"] as? String)
        let page2 = try server.get("/api/v1/runs/\(id)/customers?risk=high&limit=5&cursor=\(next)").object()
        let ids1 = rows.compactMap { $0["id"] as? String }, ids2 = (page2["customers"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        XCTAssertTrue(Set(ids1).isDisjoint(with: ids2), "pages overlap")
        // Sorted riskiest first, with the total; an id search.
        let sorted = try server.get("/api/v1/runs/\(id)/customers?sort=risk&limit=50").object()
        let probabilities = (sorted["customers"] as? [[String: Any]] ?? []).compactMap { $0["probability"] as? Double }
        XCTAssertEqual(probabilities.count, 50)
        XCTAssertEqual(probabilities, probabilities.sorted(by: >))
        XCTAssertEqual((sorted["total"] as? NSNumber)?.intValue, 500)
        let found = try server.get("/api/v1/runs/\(id)/customers?q=C0000012").object()
        let foundIds = (found["customers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(foundIds.count, 10, "\(foundIds)")
        XCTAssertTrue(foundIds.allSatisfy { $0.contains("C0000012") })
        // Health range and intervention filters equal filtering the whole table here.
        let all = try XCTUnwrap(try server.get("/api/v1/runs/\(id)/customers?limit=500").object()["customers"] as? [[String: Any]])
        XCTAssertEqual(all.count, 500)
        let action = try XCTUnwrap(all.first?["intervention"] as? String)
        let wanted = all.filter { c in
            let h = (c["health"] as? NSNumber)?.intValue ?? -1
            return (30...70).contains(h) && c["intervention"] as? String == action
        }.compactMap { $0["id"] as? String }
        XCTAssertFalse(wanted.isEmpty)
        let encoded = try XCTUnwrap(action.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let filtered = try server.get("/api/v1/runs/\(id)/customers?health_min=30&health_max=70&intervention=\(encoded)&limit=500").object()
        XCTAssertEqual((filtered["customers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }, wanted)
        XCTAssertEqual((filtered["total"] as? NSNumber)?.intValue, wanted.count)
        let plus = action.replacingOccurrences(of: " ", with: "+")  // as a browser's form sends it
        let formFiltered = try server.get("/api/v1/runs/\(id)/customers?health_min=30&health_max=70&intervention=\(plus)&limit=500").object()
        XCTAssertEqual((formFiltered["total"] as? NSNumber)?.intValue, wanted.count)
        XCTAssertEqual(try server.get("/api/v1/runs/\(id)/customers?health_max=500").status, 400)
        // Refresh with another ranking: a new run of the same input, the same results, ranked by probability.
        let refresh = try server.request("POST", "/api/v1/runs/\(id)/refresh?rank_by=risk&top=7")
        XCTAssertEqual(refresh.status, 202, refresh.text)
        let rid = try XCTUnwrap((try refresh.object())["id"] as? NSNumber).int64Value
        XCTAssertNotEqual(rid, id)
        let rerun = try server.waitForRun(rid)
        XCTAssertEqual(rerun["status"] as? String, "succeeded", "\(rerun)")
        let rsummary = try XCTUnwrap(rerun["summary"] as? [String: Any])
        XCTAssertEqual(rsummary["rankBy"] as? String, "risk")
        let rtop = (rsummary["top"] as? [[String: Any]] ?? []).compactMap { $0["probability"] as? Double }
        XCTAssertEqual(rtop.count, 7)
        XCTAssertEqual(rtop, rtop.sorted(by: >))
        XCTAssertEqual(try server.get("/api/v1/runs/\(rid)/results.csv").body, cli.results)
        XCTAssertEqual(rsummary["newlyHighRisk"] as? [String], [], "the same input and model: nobody newly High")
        XCTAssertEqual(try server.request("POST", "/api/v1/runs/\(id)/refresh?rank_by=alphabetical").status, 400)
        // A customer's latest score and history.
        let customer = try server.get("/api/v1/customers/\(ids1[0])").object()
        XCTAssertEqual((customer["latest"] as? [String: Any])?["riskLevel"] as? String, "High")
        XCTAssertEqual((customer["history"] as? [Any])?.count, 2, "the run and its refresh")
        XCTAssertEqual(try server.get("/api/v1/customers/no-such-customer").status, 404)
        // Bad query parameters are named.
        let bad = try server.get("/api/v1/runs/\(id)/customers?risk=purple")
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("purple"), bad.text)
    }

    func testChangesAgainstThePreviousRunOfTheInput() throws {
        // The same file name twice: the second with some customers worse off and some better.
        let lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        let drop = header.firstIndex(of: "usage_drop_pct")!, failed = header.firstIndex(of: "failed_payments")!
        var changed = [lines[0]]
        for (i, line) in lines.dropFirst().enumerated() {
            var fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if i % 5 == 0 { fields[drop] = "85"; fields[failed] = "3" }
            if i % 5 == 1 { fields[drop] = "0"; fields[failed] = "0" }
            changed.append(fields.joined(separator: ","))
        }
        let first = dir.appendingPathComponent("a"), second = dir.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: first, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ChurnBinary.testCSV, toPath: first.appendingPathComponent("accounts.csv").path)
        try (changed.joined(separator: "\n") + "\n").write(to: second.appendingPathComponent("accounts.csv"), atomically: true, encoding: .utf8)

        let a = try server.upload(first.appendingPathComponent("accounts.csv"))
        let firstRun = try server.waitForRun(a)
        XCTAssertEqual(firstRun["status"] as? String, "succeeded")
        XCTAssertTrue(firstRun["changes"] is NSNull, "a first run has nothing to compare with")
        let b = try server.upload(second.appendingPathComponent("accounts.csv"))
        XCTAssertEqual(try server.waitForRun(b)["status"] as? String, "succeeded")
        let run = try server.get("/api/v1/runs/\(b)").object()
        let changes = try XCTUnwrap(run["changes"] as? [String: Any], "\(run)")

        // The brute-force answer from the two runs' customer tables.
        func table(_ id: Int64) throws -> [String: (p: Double, level: String)] {
            let rows = try server.get("/api/v1/runs/\(id)/customers?limit=500").object()["customers"] as? [[String: Any]] ?? []
            var out: [String: (p: Double, level: String)] = [:]
            for r in rows { out[r["id"] as! String] = (r["probability"] as! Double, r["riskLevel"] as! String) }
            return out
        }
        let before = try table(a), after = try table(b)
        XCTAssertEqual(before.count, 500)
        let deltas = after.map { ($0.key, $0.value.p - before[$0.key]!.p) }
        let up = deltas.filter { $0.1 > 0 }, down = deltas.filter { $0.1 < 0 }
        XCTAssertGreaterThan(up.count, 0)
        XCTAssertGreaterThan(down.count, 0)
        XCTAssertEqual((changes["previousRunId"] as? NSNumber)?.int64Value, a)
        XCTAssertEqual((changes["matched"] as? NSNumber)?.intValue, 500)
        XCTAssertEqual((changes["added"] as? NSNumber)?.intValue, 0)
        XCTAssertEqual((changes["worsened"] as? NSNumber)?.intValue, up.count)
        XCTAssertEqual((changes["improved"] as? NSNumber)?.intValue, down.count)
        let newlyHigh = after.filter { $0.value.level == "High" && before[$0.key]!.level != "High" }.count
        XCTAssertEqual((changes["newlyHigh"] as? NSNumber)?.intValue, newlyHigh)
        XCTAssertEqual(try XCTUnwrap(changes["meanChange"] as? Double), deltas.map(\.1).reduce(0, +) / 500, accuracy: 1e-6)
        let movers = try XCTUnwrap(changes["topMovers"] as? [[String: Any]])
        XCTAssertEqual(movers.count, 10)
        let largest = deltas.map { abs($0.1) }.max()!
        XCTAssertEqual(abs(try XCTUnwrap(movers.first?["change"] as? Double)), largest, accuracy: 1e-6)
        let page = try server.get("/runs/\(b)")
        XCTAssertTrue(page.text.contains("id=\"changes-improved\">\(down.count)<"), "the run page shows the improved count")
        XCTAssertTrue(page.text.contains("id=\"movers-table\""))
        // The first run's page says there is nothing to compare with.
        XCTAssertTrue(try server.get("/runs/\(a)").text.contains("No earlier run of this input: no changes to show."))
    }

    func testMultipartAndXLSXUploads() throws {
        let csv = URL(fileURLWithPath: ChurnBinary.testCSV)
        let boundary = "----churn-test-boundary"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"top\"\r\n\r\n5\r\n".utf8)
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"test.csv\"\r\nContent-Type: text/csv\r\n\r\n".utf8)
        body += try Data(contentsOf: csv)
        body += Data("\r\n--\(boundary)--\r\n".utf8)
        let r = try server.request("POST", "/api/v1/runs", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        XCTAssertEqual(r.status, 202, r.text)
        let id = try XCTUnwrap((try r.object())["id"] as? NSNumber).int64Value
        let run = try server.waitForRun(id)
        XCTAssertEqual(run["status"] as? String, "succeeded", "\(run)")
        XCTAssertEqual(run["input"] as? String, "test.csv")
        XCTAssertEqual(((run["summary"] as? [String: Any])?["top"] as? [Any])?.count, 5, "the top field was not applied")
        let cli = try cliScore(csv.path)
        XCTAssertEqual(try server.get("/api/v1/runs/\(id)/results.csv").body, cli.results)

        // XLSX, with a sheet choice.
        let xlsx = dir.appendingPathComponent("customers.xlsx")
        let made = try ChurnBinary.python(["-c", """
            import csv, sys, openpyxl
            rows = list(csv.reader(open(sys.argv[1])))
            wb = openpyxl.Workbook(); wb.active.title = "Other"; ws = wb.create_sheet("Customers")
            for r in rows[:60]: ws.append(r)
            wb.save(sys.argv[2])
            """, csv.path, xlsx.path])
        XCTAssertEqual(made.status, 0, made.stderr)
        let xid = try server.upload(xlsx, contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", query: "sheet=Customers")
        let xrun = try server.waitForRun(xid)
        XCTAssertEqual(xrun["status"] as? String, "succeeded", "\(xrun)")
        let xcli = try cliScore(xlsx.path, extra: ["--sheet", "Customers"])
        XCTAssertEqual(try server.get("/api/v1/runs/\(xid)/results.csv").body, xcli.results)
    }

    func testPredictEqualsTheCLIsProbabilities() throws {
        let lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let records: [[String: Any]] = lines[1...40].map { line in
            var o: [String: Any] = [:]
            for (k, v) in zip(header, line.split(separator: ",", omittingEmptySubsequences: false)) {
                o[k] = Double(v).map { $0 as Any } ?? String(v)   // numbers as JSON numbers, text as strings
            }
            return o
        }
        let r = try server.request("POST", "/api/v1/predict", body: try JSONSerialization.data(withJSONObject: records), contentType: "application/json")
        XCTAssertEqual(r.status, 200, r.text)
        let predictions = try XCTUnwrap(try r.json() as? [[String: Any]])
        XCTAssertEqual(predictions.count, 40)

        let cli = String(decoding: try cliScore(ChurnBinary.testCSV).results, as: UTF8.self).split(separator: "\n").dropFirst().prefix(40)
        for (i, (p, row)) in zip(predictions, cli).enumerated() {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            let cliProbability = try XCTUnwrap(Double(fields[1]))
            let apiProbability = try XCTUnwrap(p["probability"] as? Double)
            XCTAssertEqual(apiProbability, cliProbability, accuracy: 5.0001e-7, "record \(i)")
            XCTAssertEqual(p["riskLevel"] as? String, String(fields[3]), "record \(i)")
            XCTAssertEqual(p["health"] as? Int, Int(fields[4]), "record \(i)")
            XCTAssertNotNil(p["intervention"] as? String)
            XCTAssertNotNil(p["drivers"] as? [[String: Any]])
        }

        // A bad record is named by index and column.
        var bad = records
        bad[3]["avg_daily_usage"] = "lots"
        let refused = try server.request("POST", "/api/v1/predict", body: try JSONSerialization.data(withJSONObject: bad), contentType: "application/json")
        XCTAssertEqual(refused.status, 400)
        XCTAssertTrue(refused.text.contains("record 3") && refused.text.contains("avg_daily_usage"), refused.text)
        let tooMany = try server.request("POST", "/api/v1/predict", body: try JSONSerialization.data(withJSONObject: Array(repeating: records[0], count: 10_001)), contentType: "application/json")
        XCTAssertEqual(tooMany.status, 413, tooMany.text)
    }

    func testBadInputFailsTheRunWithTheCLIsMessage() throws {
        let bad = dir.appendingPathComponent("broken.csv")
        try "customer_id,segment\nC1,enterprise\n".write(to: bad, atomically: true, encoding: .utf8)
        let cli = try ChurnBinary.run(["score", bad.path, "--model", model, "--out", dir.appendingPathComponent("x.csv").path, "--quiet", "--no-history"])
        XCTAssertNotEqual(cli.status, 0)
        let message = cli.stderr.replacingOccurrences(of: "churn: error: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let id = try server.upload(bad)
        let run = try server.waitForRun(id)
        XCTAssertEqual(run["status"] as? String, "failed")
        let error = try XCTUnwrap(run["error"] as? String)
        // The same message, naming the file (the server's copy has the same name).
        XCTAssertEqual(error.replacingOccurrences(of: bad.deletingLastPathComponent().path, with: "").split(separator: ":").dropFirst().joined(separator: ":"),
                       message.replacingOccurrences(of: bad.deletingLastPathComponent().path, with: "").split(separator: ":").dropFirst().joined(separator: ":"),
                       "server: \(error)\nCLI: \(message)")
        XCTAssertTrue(error.contains("broken.csv"), error)
        XCTAssertEqual(try server.get("/api/v1/runs/\(id)/results.csv").status, 404, "a failed run has no results")
    }

    func testValuesFromTheUploadAreEscapedInEveryPage() throws {
        let evil = "<img src=x onerror=alert(1)>"
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        lines = Array(lines.prefix(30))
        for i in 1..<lines.count {
            var fields = lines[i].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[0] = evil + String(i)
            lines[i] = fields.joined(separator: ",")
        }
        let file = dir.appendingPathComponent("x<i>y.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let id = try server.upload(file)
        XCTAssertEqual(try server.waitForRun(id)["status"] as? String, "succeeded")
        let encoded = (evil + "1").addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        for path in ["/runs/\(id)", "/runs/\(id)/customers", "/runs", "/", "/customers/\(encoded)"] {
            let page = try server.get(path)
            XCTAssertEqual(page.status, 200, path)
            XCTAssertFalse(page.text.contains("<img") || page.text.contains("x<i>y"), "\(path) shows an uploaded value unescaped")
            XCTAssertTrue(page.text.contains("&lt;img src=x onerror=alert(1)&gt;") || page.text.contains("x&lt;i&gt;y.csv"), path)
        }
    }

    func testUploadLimitAnswers413AndKeepsNothing() throws {
        server.stop()
        let data = dir.appendingPathComponent("small")
        server = try ServeProcess(model: model, dataDir: data, extra: ["--max-upload", "10KB"])
        let r = try server.request("POST", "/api/v1/runs?name=test.csv", bodyFile: URL(fileURLWithPath: ChurnBinary.testCSV), contentType: "text/csv")
        XCTAssertEqual(r.status, 413, r.text)
        let uploads = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("uploads").path)
        XCTAssertEqual(uploads, [], "a refused upload left files behind")
        XCTAssertEqual(try server.request("POST", "/api/v1/runs", body: Data("x".utf8), contentType: "image/png").status, 415)
        // An empty body, with no Content-Type or as CSV, starts nothing and keeps nothing.
        // (curl, so that no client adds a Content-Type of its own.)
        for header in [["-H", "Content-Length: 0"], ["-H", "Content-Type: text/csv", "-H", "Content-Length: 0"]] {
            let r = try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/curl"),
                                               ["-sS", "-X", "POST", "-H", "Authorization: Bearer \(server.token ?? "")", "-w", "\n%{http_code}"]
                                               + header + [server.base + "/api/v1/runs"])
            XCTAssertEqual(r.stdout.split(separator: "\n").last, "400", r.stdout + r.stderr)
            XCTAssertTrue(r.stdout.contains("empty"), r.stdout)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("uploads").path), [])
        XCTAssertEqual((try server.get("/api/v1/runs").object()["runs"] as? [Any])?.count, 0, "no run was started")
    }

    func testHealthMetricsOpenAPIAndPages() throws {
        XCTAssertEqual(try server.get("/healthz").text, "ok\n")
        let doc = try server.get("/api/v1/openapi.json").object()
        XCTAssertNotNil((doc["paths"] as? [String: Any])?["/api/v1/runs/{id}/results.csv"])
        let id = try server.upload(URL(fileURLWithPath: ChurnBinary.testCSV))
        _ = try server.waitForRun(id)
        let metrics = try server.get("/metrics")
        XCTAssertTrue(metrics.headers["content-type"]?.hasPrefix("text/plain") ?? false)
        XCTAssertTrue(metrics.text.contains("churn_jobs_started_total 1\n"), metrics.text)
        XCTAssertTrue(metrics.text.contains("churn_jobs_finished_total{status=\"succeeded\"} 1\n"), metrics.text)
        XCTAssertTrue(metrics.text.contains("churn_rows_scored_total 500\n"), metrics.text)
        XCTAssertTrue(metrics.text.contains("churn_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/runs\",le=\"+Inf\"} 1\n"), metrics.text)
        // Pages answer HTML with the run's charts; a missing run is a 404 page.
        let page = try server.get("/runs/\(id)")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<svg class=\"chart\"") && page.text.contains("<svg class=\"pie\""))
        XCTAssertFalse(page.text.contains("<script>"), "no inline script")
        XCTAssertEqual(try server.get("/runs/999999").status, 404)
        XCTAssertEqual(try server.get("/static/dashboard.js").status, 200)
    }

    func testDeleteCancelsARunningRunAndLeavesNoResults() throws {
        let big = dir.appendingPathComponent("big.csv")
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "400000", "--seed", "5", "--no-label", "--out", big.path]).status, 0)
        let id = try server.upload(big)
        let cancel = try server.request("DELETE", "/api/v1/runs/\(id)")
        XCTAssertEqual(cancel.status, 202, cancel.text)
        let run = try server.waitForRun(id)
        XCTAssertEqual(run["status"] as? String, "cancelled", "\(run)")
        XCTAssertEqual(try server.get("/api/v1/runs/\(id)/results.csv").status, 404)
        XCTAssertEqual(try server.request("DELETE", "/api/v1/runs/\(id)").status, 409, "a finished run cannot be cancelled")
        let results = try FileManager.default.contentsOfDirectory(atPath: server.dataDir.appendingPathComponent("results").path)
        XCTAssertEqual(results, [], "a cancelled run left a results file")
        // The history says so too, after a restart.
        server.stop()
        server = try ServeProcess(model: model, dataDir: server.dataDir)
        XCTAssertEqual(try server.get("/api/v1/runs/\(id)").object()["status"] as? String, "cancelled")
    }

    func testSIGTERMExitsZeroAfterTheRunningJob() throws {
        let big = dir.appendingPathComponent("big.csv")
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "200000", "--seed", "3", "--no-label", "--out", big.path]).status, 0)
        let id = try server.upload(big)
        XCTAssertEqual(server.stop(), 0, server.log)
        // The run ended cleanly in the history: succeeded, or cancelled, never left running.
        server = try ServeProcess(model: model, dataDir: dir.appendingPathComponent("data"))
        let run = try server.get("/api/v1/runs/\(id)").object()
        XCTAssertTrue(["succeeded", "cancelled"].contains(run["status"] as? String ?? ""), "\(run)")
    }

    private func canonical(_ value: Any?) throws -> String {
        guard let value else { return "nil" }
        return String(decoding: try JSONSerialization.data(withJSONObject: ["v": value], options: [.sortedKeys]), as: UTF8.self)
    }
}
