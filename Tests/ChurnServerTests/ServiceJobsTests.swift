import Foundation
import XCTest
@testable import ChurnServer

/// `ServiceJobs` over a real in-process scoring service: a long-lived server keeps only the latest
/// finished runs in memory, the older ones are still read from the history, and the counters of
/// `/metrics` keep counting every run.
final class ServiceJobsTests: XCTestCase {
    func testOnlyTheLatestFinishedRunsStayInMemory() async throws {
        var configuration = try ServerFixtures.configuration()
        configuration.currencySymbol = "€"  // `churn serve --currency`
        let jobs = ServiceJobs(configuration: configuration, pool: nil, threads: 1, finishedRunsKept: 2)
        let dashboard = try Dashboard(configuration: configuration, jobs: jobs)
        let sample = ServerFixtures.root.appendingPathComponent("scripts/data/test.csv")
        var ids: [Int64] = []
        for i in 0..<3 {
            let upload = URL(fileURLWithPath: configuration.uploadsDirectory).appendingPathComponent("u\(i)/test.csv")
            try FileManager.default.createDirectory(at: upload.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: sample, to: upload)
            let bytes = Int64(try Data(contentsOf: upload).count)
            let id = try await jobs.start(UploadedFile(path: upload.path, name: "test.csv", bytes: bytes), options: RunOptions())
            let deadline = Date().addingTimeInterval(60)
            while jobs.live(id)?.status == .running, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
            XCTAssertEqual(jobs.live(id)?.status, .succeeded, jobs.live(id)?.error ?? "")
            ids.append(id)
        }

        XCTAssertEqual(jobs.liveRuns().map(\.runId), [ids[2], ids[1]], "only the two latest finished runs stay in memory")
        XCTAssertNil(jobs.live(ids[0]))
        let rows = try XCTUnwrap(jobs.live(ids[2])?.rowsScored)
        XCTAssertGreaterThan(rows, 0)
        var expected = JobCounts()
        expected.started = 3
        expected.succeeded = 3
        expected.rowsScored = 3 * rows
        XCTAssertEqual(jobs.counts(), expected)

        // The forgotten run is the history's now, with its results and report still found.
        let forgotten = try XCTUnwrap(dashboard.run(ids[0]))
        XCTAssertEqual(forgotten.status, .succeeded)
        XCTAssertEqual(forgotten.rowsScored, rows)
        XCTAssertNotNil(forgotten.resultsPath)
        XCTAssertNotNil(forgotten.reportPath)
        let summary = try JSONSerialization.jsonObject(with: XCTUnwrap(forgotten.summaryJSON)) as? [String: Any]
        XCTAssertEqual(summary?["currency"] as? String, "€", "the run's summary keeps the server's currency")
        XCTAssertEqual(try dashboard.runs(limit: 10).map(\.id), ids.reversed())
    }
}
