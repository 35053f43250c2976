import Foundation
import XCTest

/// The customers table's filters through a real server and the real CLI, against a brute-force
/// filter over the run's input and results files: category values (blank and unseen included) ×
/// risk × health × intervention × id search, paged with cursors, in every order.
final class CustomerFilterTests: XCTestCase {
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
        try? FileManager.default.removeItem(at: dir)
    }

    /// Fields of one CSV record (quotes and doubled quotes handled; no newlines inside fields here).
    private func fields(_ line: Substring) -> [String] {
        var out: [String] = [], field = "", quoted = false
        var chars = line.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let n = chars.next() {
                        if n == "\"" { field.append("\"") } else { quoted = false; pending = n }
                    } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true } else if c == "," { out.append(field); field = "" } else { field.append(c) }
        }
        out.append(field)
        return out
    }

    private struct Customer {
        var id: String
        var order: Int
        var probability: Double
        var level: String
        var health: Int
        var intervention: String
        var categories: [String: String]
    }

    func testFiltersEqualABruteForceOverTheInputAndResults() throws {
        // The test set with some blank segments and some regions the model never saw.
        let lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n")
        let header = fields(lines[0])
        let segment = header.firstIndex(of: "segment")!, region = header.firstIndex(of: "region")!
        var rows = lines.dropFirst().map(fields)
        for i in stride(from: 3, to: rows.count, by: 17) { rows[i][segment] = "" }
        for i in stride(from: 5, to: rows.count, by: 23) { rows[i][region] = "atlantis" }
        let input = dir.appendingPathComponent("customers.csv")
        try ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\n").appending("\n")
            .write(to: input, atomically: true, encoding: .utf8)

        let id = try server.upload(input)
        XCTAssertEqual(try server.waitForRun(id)["status"] as? String, "succeeded")
        let results = String(decoding: try server.get("/api/v1/runs/\(id)/results.csv").body, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(results.count - 1, rows.count, "every row scored")

        // The model's levels, from the model file itself.
        let modelObject = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as! [String: Any]
        let categorical = modelObject["categorical"] as! [[String: Any]]
        var levels: [String: [String]] = [:]
        for f in categorical {
            levels[f["column"] as! String] = (f["categories"] as! [[String: Any]]).map { $0["value"] as! String }
        }
        XCTAssertEqual(Set(levels.keys), ["segment", "region"])
        var customers: [Customer] = []
        for (i, line) in results.dropFirst().enumerated() {
            let r = fields(line)
            var categories: [String: String] = [:]
            for (name, known) in levels {
                let text = rows[i][header.firstIndex(of: name)!].trimmingCharacters(in: .whitespaces)
                categories[name] = text.isEmpty ? "(blank)" : known.contains(text) ? text : "(other)"
            }
            XCTAssertEqual(r[0], rows[i][0])
            customers.append(Customer(id: r[0], order: i, probability: Double(r[1])!, level: r[3], health: Int(r[4])!,
                                      intervention: r[11], categories: categories))
        }

        // The API lists the run's features and each row's values.
        let first = try server.get("/api/v1/runs/\(id)/customers?limit=500").object()
        let features = (first["categoryFeatures"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(features), ["segment", "region"])
        let firstRows = first["customers"] as? [[String: Any]] ?? []
        XCTAssertEqual(firstRows.count, 500)
        for (row, c) in zip(firstRows, customers) {
            XCTAssertEqual(row["categories"] as? [String: String], c.categories)
        }

        let action = customers.map(\.intervention).first { !$0.isEmpty }!
        struct Query { var params: [(String, String)]; var keep: (Customer) -> Bool }
        let categoryFilters: [([(String, String)], (Customer) -> Bool)] = [
            ([("cat.segment", "enterprise")], { $0.categories["segment"] == "enterprise" }),
            ([("cat.region", "(other)")], { $0.categories["region"] == "(other)" }),
            ([("cat.segment", "(blank)")], { $0.categories["segment"] == "(blank)" }),
            ([("cat.segment", "small-business"), ("cat.region", "north")],
             { $0.categories["segment"] == "small-business" && $0.categories["region"] == "north" }),
        ]
        let otherFilters: [([(String, String)], (Customer) -> Bool)] = [
            ([], { _ in true }),
            ([("risk", "high")], { $0.level == "High" }),
            ([("risk", "low,medium"), ("health_min", "30")], { $0.level != "High" && $0.health >= 30 }),
            ([("intervention", action), ("health_max", "80")], { $0.intervention == action && $0.health <= 80 }),
            ([("q", "1"), ("risk", "medium,high")], { $0.id.contains("1") && $0.level != "Low" }),
        ]
        var checked = 0
        for (cat, keepCat) in categoryFilters {
            for (other, keepOther) in otherFilters {
                for sort in ["input", "risk", "-risk"] {
                    let params = cat + other + [("sort", sort), ("limit", "23")]
                    let query = params.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
                        .joined(separator: "&")
                    var got: [(id: String, probability: Double)] = []
                    var cursor: String? = nil
                    var total: Int?
                    repeat {
                        let page = try server.get("/api/v1/runs/\(id)/customers?\(query)\(cursor.map { "&cursor=\($0)" } ?? "")").object()
                        total = (page["total"] as? NSNumber)?.intValue
                        for c in page["customers"] as? [[String: Any]] ?? [] {
                            got.append((c["id"] as! String, (c["probability"] as! NSNumber).doubleValue))
                            let values = c["categories"] as? [String: String] ?? [:]
                            for (name, value) in cat where name.hasPrefix("cat.") {
                                XCTAssertEqual(values[String(name.dropFirst(4))], value, query)
                            }
                        }
                        cursor = page["nextCursor"] as? String
                    } while cursor != nil
                    let want = customers.filter { keepCat($0) && keepOther($0) }
                    XCTAssertEqual(total, want.count, query)
                    if sort == "input" {
                        XCTAssertEqual(got.map(\.id), want.map(\.id), query)
                    } else {
                        // Same rows; probabilities in order (the results file rounds them, so ties may differ).
                        XCTAssertEqual(got.map(\.id).sorted(), want.map(\.id).sorted(), query)
                        let p = got.map(\.probability)
                        XCTAssertEqual(p, sort == "risk" ? p.sorted(by: >) : p.sorted(), query)
                    }
                    checked += want.count
                }
            }
        }
        XCTAssertGreaterThan(checked, 500, "the filters keep rows")

        // Bad filters are named.
        let badFeature = try server.get("/api/v1/runs/\(id)/customers?cat.colour=red")
        XCTAssertEqual(badFeature.status, 400)
        XCTAssertTrue(badFeature.text.contains("colour"), badFeature.text)
        let badValue = try server.get("/api/v1/runs/\(id)/customers?cat.segment=galactic")
        XCTAssertEqual(badValue.status, 400)
        XCTAssertTrue(badValue.text.contains("galactic"), badValue.text)

        // The page: a select per feature listing its levels, and the filtered rows.
        let html = try server.get("/runs/\(id)/customers?cat.segment=enterprise&limit=500").text
        XCTAssertTrue(html.contains("name=\"cat.segment\""), html)
        for level in levels["segment"]! { XCTAssertTrue(html.contains("<option value=\"\(level)\""), level) }
        let shown = html.components(separatedBy: "data-feature=\"segment\">").dropFirst().map { $0.prefix { $0 != "<" } }
        XCTAssertEqual(shown.count, customers.filter { $0.categories["segment"] == "enterprise" }.count)
        XCTAssertTrue(shown.allSatisfy { $0 == "enterprise" })

        // `churn customers` gives the API's answer.
        let db = dir.appendingPathComponent("data/history.sqlite").path
        let cli = try ChurnBinary.run(["customers", String(id), "--db", db, "--where", "segment=enterprise", "--level", "High",
                                       "--sort", "risk", "--limit", "500"])
        XCTAssertEqual(cli.status, 0, cli.stderr)
        let cliIds = cli.stdout.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        let api = try server.get("/api/v1/runs/\(id)/customers?cat.segment=enterprise&risk=high&sort=risk&limit=500").object()
        XCTAssertEqual(cliIds, (api["customers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        XCTAssertFalse(cliIds.isEmpty)
        let cliBad = try ChurnBinary.run(["customers", String(id), "--db", db, "--where", "segment=galactic"])
        XCTAssertNotEqual(cliBad.status, 0)
        XCTAssertTrue(cliBad.stderr.contains("galactic"), cliBad.stderr)
    }

    /// Workers send scores only (wire protocol v3): a `--local 2` run records no category data, and
    /// its category filters say so instead of answering nothing; its other filters still work.
    /// Workers encode the category codes in their history chunk: a cluster run filters by category
    /// exactly as an in-process run of the same file.
    func testAClusterRunFiltersByCategoryAsInProcess() throws {
        server.stop()
        server = nil
        let db = dir.appendingPathComponent("cluster.sqlite").path
        let scored = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", dir.appendingPathComponent("out.csv").path,
                                          "--local", "2", "--quiet", "--db", db])
        XCTAssertEqual(scored.status, 0, scored.stderr)
        let local = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", dir.appendingPathComponent("out2.csv").path,
                                         "--quiet", "--db", db])
        XCTAssertEqual(local.status, 0, local.stderr)
        for filter in [["--where", "segment=enterprise"], ["--where", "segment=enterprise", "--where", "region=(blank)"],
                       ["--where", "region=north", "--level", "High"]] {
            let cluster = try ChurnBinary.run(["customers", "1", "--db", db, "--limit", "500"] + filter)
            let inProcess = try ChurnBinary.run(["customers", "2", "--db", db, "--limit", "500"] + filter)
            XCTAssertEqual(cluster.status, 0, cluster.stderr)
            XCTAssertEqual(inProcess.status, 0, inProcess.stderr)
            let rows = cluster.stdout.split(separator: "\n").dropFirst(2)
            XCTAssertEqual(Array(rows), Array(inProcess.stdout.split(separator: "\n").dropFirst(2)), "\(filter)")
            if filter.count == 2 {
                XCTAssertFalse(rows.isEmpty)
                XCTAssertTrue(rows.allSatisfy { $0.contains("enterprise") }, cluster.stdout)
            }
        }
    }
}
