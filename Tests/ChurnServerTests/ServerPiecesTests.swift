import ChurnCore
import ChurnEngine
import ChurnStore
import Foundation
import XCTest
@testable import ChurnServer

/// The server's pieces that need no listening socket: query parsing, upload names, predict, pages'
/// escaping, the Prometheus exposition, the bounded cache of run changes.
final class ServerPiecesTests: XCTestCase {
    func testRecentValuesForgetsTheOldestBeyondItsCapacity() {
        var cache = RecentValues<Int, String>(capacity: 3)
        for key in 1...3 { cache.store("v\(key)", for: key) }
        cache.store("again", for: 1)  // storing a known key again forgets nothing
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual(cache[1], "again")
        for key in 4...10 { cache.store("v\(key)", for: key) }
        XCTAssertEqual(cache.count, 3)
        XCTAssertEqual((1...10).filter { cache[$0] != nil }, [8, 9, 10])
        XCTAssertEqual(cache[10], "v10")
    }

    func testCustomerQueryParsing() throws {
        let q = try CustomerTable.parse(["risk": "high,medium", "sort": "-risk", "q": "C01", "limit": "20", "cursor": "40",
                                         "health_min": "10", "health_max": "60", "intervention": "Success check-in"])
        XCTAssertEqual(q.healthMin, 10)
        XCTAssertEqual(q.healthMax, 60)
        XCTAssertEqual(q.intervention, "Success check-in")
        XCTAssertEqual(q.levels, [.high, .medium])
        XCTAssertEqual(q.sort, "-risk")
        XCTAssertEqual(q.search, "C01")
        XCTAssertEqual(q.limit, 20)
        XCTAssertEqual(q.offset, 40)
        XCTAssertEqual(try CustomerTable.parse([:]), CustomerTable.Query())
        for bad in [["risk": "purple"], ["sort": "name"], ["limit": "0"], ["limit": "501"], ["cursor": "-1"], ["cursor": "x"],
                    ["health_min": "-1"], ["health_max": "101"], ["health_min": "high"]] {
            XCTAssertThrowsError(try CustomerTable.parse(bad), "\(bad)") { error in
                XCTAssertTrue("\(error)".contains(bad.keys.first!), "\(error) does not name the parameter")
            }
        }
    }

    func testUploadNamesAreNeverPaths() {
        XCTAssertEqual(UploadReceiver.safeName("../../etc/passwd"), "passwd")
        XCTAssertEqual(UploadReceiver.safeName("C:\\Users\\me\\customers.csv"), "customers.csv")
        XCTAssertEqual(UploadReceiver.safeName(".."), "upload.csv")
        XCTAssertEqual(UploadReceiver.safeName("a\u{0}b\nc.csv"), "abc.csv")
        XCTAssertEqual(UploadReceiver.parameter("boundary", of: "multipart/form-data; boundary=\"xyz\""), "xyz")
        XCTAssertEqual(UploadReceiver.parameter("filename", of: "form-data; name=\"file\"; filename=\"a b.csv\""), "a b.csv")
        XCTAssertNil(UploadReceiver.parameter("boundary", of: "multipart/form-data"))
    }

    func testPredictScoresLikeTheModelAndNamesBadRecords() throws {
        let dashboard = try ServerFixtures.dashboard()
        let record: [String: Any] = ["customer_id": "A1", "segment": "enterprise", "region": "north", "avg_daily_usage": 3.5,
                                     "usage_drop_pct": 40, "open_tickets": 2, "failed_payments": 1, "days_since_last_login": 12,
                                     "tenure_months": 20, "mrr": 900, "recent_support_escalations": 0, "payment_streak": 5]
        let out = try BulkPredict.predict(try JSONSerialization.data(withJSONObject: [record]), model: dashboard.compiled, maxRecords: 10)
        let predictions = try XCTUnwrap(try JSONSerialization.jsonObject(with: out) as? [[String: Any]])
        XCTAssertEqual(predictions.count, 1)
        let expected = try dashboard.compiled.score(record: record.mapValues { "\($0)" })
        XCTAssertEqual(predictions[0]["probability"] as? Double, expected.probability)
        XCTAssertEqual(predictions[0]["riskLevel"] as? String, expected.riskLevel.name)
        XCTAssertEqual(predictions[0]["health"] as? Int, Int(expected.health))

        var bad = record
        bad["open_tickets"] = "many"
        XCTAssertThrowsError(try BulkPredict.predict(try JSONSerialization.data(withJSONObject: [record, bad]), model: dashboard.compiled, maxRecords: 10)) {
            XCTAssertTrue("\($0)".contains("record 1") && "\($0)".contains("open_tickets"), "\($0)")
        }
        XCTAssertThrowsError(try BulkPredict.predict(Data("{}".utf8), model: dashboard.compiled, maxRecords: 10))
        XCTAssertThrowsError(try BulkPredict.predict(try JSONSerialization.data(withJSONObject: [record, record]), model: dashboard.compiled, maxRecords: 1))
    }

    func testPagesEscapeEveryValueFromTheUploadedFile() throws {
        let evil = "<img src=x onerror=alert(1)>"
        var aggregate = ScoreAggregate(topLimit: 5)
        aggregate.rowsScored = 1
        aggregate.riskCounts = [0, 0, 1]
        aggregate.healthHistogram[1] = 1
        aggregate.top = [RankedCustomer(line: 2, id: evil, email: "", revenue: 10, probability: 0.9, riskScore: 90, riskLevel: "High",
                                        health: 12, drivers: [DriverImpact(name: "segment=\(evil)", impact: 1.2)], intervention: evil, rankKey: 1)]
        aggregate.rejected = [RejectedRow(line: 3, reason: "column 2 'x': '\(evil)' is not a number")]
        var summary = RunSummary(input: evil, inputBytes: 10, output: "", model: "", modelHash: "", rankBy: .combined, engine: "",
                                 seconds: 1, aggregate: aggregate, revenueColumn: nil)
        summary.newlyHighRisk = [evil]
        let live = LiveRun(runId: 1, status: .succeeded, inputName: evil, inputBytes: 10, startedAt: Date(), finishedAt: Date(),
                           summaryJSON: try summary.jsonData(), resultsPath: "/x")
        let run = RunView(live)
        let pages = [RunPage.render(run, top: nil), RunsPage.render([run], input: nil), HomePage.render(latest: [run], maxUpload: 1)]
        for page in pages {
            XCTAssertFalse(page.contains("<img"), "an uploaded value reached the page unescaped")
            XCTAssertTrue(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
            XCTAssertFalse(page.contains("<script"), "no inline script")
        }
    }

    func testRunPageShowsMoneyInTheRunsCurrency() {
        var aggregate = ScoreAggregate(topLimit: 5)
        aggregate.rowsScored = 2
        aggregate.revenueCents = 123_456
        var summary = RunSummary(input: "a.csv", inputBytes: 10, output: "", model: "", modelHash: "", rankBy: .combined, engine: "",
                                 seconds: 1, aggregate: aggregate, revenueColumn: "mrr")
        XCTAssertTrue(RunPage.kpis(summary).contains("$1,234"), RunPage.kpis(summary))
        summary.currency = "€"
        XCTAssertTrue(RunPage.kpis(summary).contains("€1,234"), RunPage.kpis(summary))
        XCTAssertFalse(RunPage.kpis(summary).contains("$"))
    }

    func testPrometheusExposition() {
        let metrics = ServerMetrics()
        metrics.observe(method: "GET", route: "/api/v1/runs/{id}", status: 200, seconds: 0.003)
        metrics.observe(method: "GET", route: "/api/v1/runs/{id}", status: 404, seconds: 0.2)
        metrics.uploaded(bytes: 1234)
        var counts = JobCounts()
        counts.started = 3
        counts.record(LiveRun(runId: 1, status: .succeeded, inputName: "a", inputBytes: 1, startedAt: Date(), rowsScored: 500))
        counts.record(LiveRun(runId: 3, status: .failed, inputName: "c", inputBytes: 1, startedAt: Date()))
        let running = [LiveRun(runId: 2, status: .running, inputName: "b", inputBytes: 1, startedAt: Date(), rowsPerSecond: 1000)]
        let pool = PoolSnapshot(mode: "pool", workers: [.init(address: "a:1", up: true, busy: false, shardsDone: 3),
                                                        .init(address: "b:1", up: false, busy: false, shardsDone: 0)])
        let text = metrics.render(counts: counts, running: running, pool: pool)
        for line in ["churn_jobs_started_total 3", "churn_jobs_finished_total{status=\"succeeded\"} 1",
                     "churn_jobs_finished_total{status=\"failed\"} 1", "churn_jobs_running 1", "churn_rows_scored_total 500",
                     "churn_rows_per_second 1000", "churn_upload_bytes_total 1234", "churn_workers_up 1", "churn_workers 2",
                     "churn_http_requests_total{method=\"GET\",route=\"/api/v1/runs/{id}\",status=\"404\"} 1",
                     "churn_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/runs/{id}\",le=\"0.005\"} 1",
                     "churn_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/runs/{id}\",le=\"0.25\"} 2",
                     "churn_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/runs/{id}\",le=\"+Inf\"} 2",
                     "churn_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/runs/{id}\"} 2"] {
            XCTAssertTrue(text.contains(line + "\n"), "missing: \(line)\n\(text)")
        }
        // Every sample line is NAME{labels} VALUE, and every metric has HELP and TYPE.
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            XCTAssertNotNil(line.range(of: #"^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? [0-9.e+-]+$"#, options: .regularExpression), String(line))
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            let base = name.replacingOccurrences(of: #"_(bucket|sum|count)$"#, with: "", options: .regularExpression)
            XCTAssertTrue(text.contains("# TYPE \(base) ") || text.contains("# TYPE \(name) "), name)
        }
    }
}
