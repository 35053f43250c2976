import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnService
import ChurnTesting
import Foundation
import Logging
import XCTest

/// The service end to end inside this process: real files, real SQLite, real workers on loopback.
final class ScoringServiceTests: XCTestCase {
    private var directory = ""
    private var model = ""
    private var service: ScoringService!

    override func setUpWithError() throws {
        directory = TestData.temporaryDirectory()
        model = try TestData.trainModel(in: directory)
        service = ScoringService(configuration: .init(dataDirectory: directory + "/data", defaultDatabasePath: directory + "/history.sqlite"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func request(_ input: String, engine: ScoringJobRequest.Engine, results: String, history: Bool = false,
                         chunkBytes: Int = 1 << 20) -> ScoringJobRequest {
        ScoringJobRequest(input: .file(path: input), model: .file(path: model), engine: engine,
                          outputs: .init(results: results), history: history ? .init() : .off, chunkBytes: chunkBytes)
    }

    private func collect(_ job: ScoringJob) async -> [ScoringEvent] {
        var events: [ScoringEvent] = []
        for await event in job.events() { events.append(event) }
        return events
    }

    private var logger: Logger {
        var l = Logger(label: "test.pool")
        l.logLevel = .warning
        return l
    }

    func testInProcessJobMakesEveryProductOnceAndReportsEvents() async throws {
        let input = try TestData.customers(rows: 20_000, seed: 3, in: directory)
        var r = request(input, engine: .inProcess(threads: 2), results: directory + "/scores.csv", history: true, chunkBytes: 64 << 10)
        r.outputs.summaryJSON = directory + "/summary.json"
        r.outputs.report = directory + "/report.html"
        let job = try service.start(r)
        let events = await collect(job)
        let outcome = try await job.outcome
        guard case .started(let started) = events.first else { return XCTFail("first event: \(String(describing: events.first))") }
        XCTAssertEqual(started.jobId, job.id)
        XCTAssertEqual(started.engine, "in-process, 2 threads")
        guard case .finished(let finished) = events.last else { return XCTFail("last event: \(String(describing: events.last))") }
        XCTAssertEqual(finished.summary.rowsScored, 20_000)
        let progress = events.compactMap { if case .progress(let p) = $0 { return p } else { return nil } }
        XCTAssertFalse(progress.isEmpty)
        XCTAssertEqual(progress.last?.rowsScored, 20_000)
        XCTAssertEqual(progress.map(\.rowsScored), progress.map(\.rowsScored).sorted(), "progress never goes back")

        XCTAssertEqual(outcome.summary.rowsScored, 20_000)
        let lines = try String(contentsOfFile: outcome.resultsPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 20_001, "header plus one line per customer")
        XCTAssertNotNil(outcome.historyRunId)
        XCTAssertEqual(outcome.summary.runId, outcome.historyRunId)
        let json = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json")))
        XCTAssertEqual(json.rowsScored, 20_000)
        XCTAssertEqual(json.runId, outcome.historyRunId)
        XCTAssertTrue(try String(contentsOfFile: directory + "/report.html", encoding: .utf8).contains("<html"))
        XCTAssertEqual(job.state, .succeeded)
        XCTAssertEqual(service.jobs().map(\.id), [job.id])
        XCTAssertEqual(service.jobs().first?.historyRunId, outcome.historyRunId)
    }

    func testUploadIsSpooledScoredAndRemoved() async throws {
        let input = try TestData.customers(rows: 5_000, seed: 4, in: directory)
        let reference = try service.start(request(input, engine: .inProcess(threads: 1), results: directory + "/a.csv"))
        _ = try reference.wait()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: input)))
        let stream = AsyncThrowingStream<[UInt8], Error> { continuation in
            var offset = 0
            while offset < bytes.count {  // uneven pieces, as a network delivers them
                let n = min(7_919, bytes.count - offset)
                continuation.yield(Array(bytes[offset..<offset + n]))
                offset += n
            }
            continuation.finish()
        }
        let job = try service.start(ScoringJobRequest(input: .upload(fileName: "customers upload.csv", bytes: stream),
                                                      model: .file(path: model), engine: .inProcess(threads: 2),
                                                      outputs: .init(results: directory + "/b.csv"), history: .off))
        let outcome = try await job.outcome
        XCTAssertEqual(outcome.summary.input, "customers upload.csv")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/a.csv")),
                       try Data(contentsOf: URL(fileURLWithPath: directory + "/b.csv")))
        let uploads = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/data/uploads")) ?? []
        XCTAssertEqual(uploads, [], "the spooled copy is removed after the job")
    }

    func testFailedJobReportsTheErrorAndLeavesNoResults() async throws {
        let job = try service.start(request(directory + "/missing.csv", engine: .inProcess(threads: 1), results: directory + "/out.csv"))
        let events = await collect(job)
        guard case .failed(let message) = events.last else { return XCTFail("last event: \(String(describing: events.last))") }
        XCTAssertTrue(message.contains("missing.csv: No such file"), message)
        XCTAssertEqual(job.state, .failed(message))
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/out.csv"))
        do {
            _ = try await job.outcome
            XCTFail("a failed job has no outcome")
        } catch {
            XCTAssertTrue("\(error)".contains("No such file"))
        }
    }

    /// A long-lived service forgets the oldest finished jobs past its limit; the newest stay.
    func testFinishedJobsBeyondTheLimitAreForgotten() async throws {
        let small = ScoringService(configuration: .init(dataDirectory: directory + "/data", defaultDatabasePath: directory + "/h.sqlite",
                                                        finishedJobsKept: 2))
        var ids: [Int] = []
        for i in 0..<5 {
            // Jobs that fail at once (no such input): finished as soon as their events end.
            let job = try small.start(request(directory + "/missing-\(i).csv", engine: .inProcess(threads: 1), results: directory + "/o\(i).csv"))
            _ = await collect(job)
            XCTAssertTrue(job.state.isFinal)
            ids.append(job.snapshot.id)
        }
        // Starting the fifth forgot all but the two finished before it; the fifth is kept too.
        XCTAssertEqual(small.jobs().map(\.id), Array(ids.suffix(3)))
        XCTAssertNil(small.job(id: ids[0]))
        XCTAssertNotNil(small.job(id: ids[4]))
    }

    func testRiskCutOverridesApply() async throws {
        let input = try TestData.customers(rows: 2_000, seed: 5, in: directory)
        var r = request(input, engine: .inProcess(threads: 1), results: directory + "/out.csv")
        r.riskThresholds = RiskThresholds(decision: 0.5, mediumRisk: 0, highRisk: 0)
        let outcome = try await service.start(r).outcome
        XCTAssertEqual(outcome.summary.riskDistribution.high, 2_000, "every customer is High with both cuts at 0")
    }

    func testSecondJobOnAWarmPoolDoesNoHandshakeAndNoModelUpload() async throws {
        let workers = try LoopbackWorkers(count: 2)
        defer { workers.shutdown() }
        let pool = try WorkerPool(endpoints: workers.endpoints, secret: workers.secret, logger: logger)
        defer { pool.close() }
        let input = try TestData.customers(rows: 20_000, seed: 6, in: directory)
        let first = try await service.start(request(input, engine: .pool(pool), results: directory + "/1.csv", chunkBytes: 64 << 10)).outcome
        XCTAssertEqual(workers.log.count(containing: "connected (protocol"), 2, workers.log.all.joined(separator: "\n"))
        XCTAssertEqual(workers.log.count(containing: "loaded model"), 2)
        let second = try await service.start(request(input, engine: .pool(pool), results: directory + "/2.csv", chunkBytes: 64 << 10)).outcome
        XCTAssertEqual(workers.log.count(containing: "connected (protocol"), 2, "no new connection, so no handshake")
        XCTAssertEqual(workers.log.count(containing: "loaded model"), 2, "no second upload")
        XCTAssertEqual(pool.status().map(\.handshakes), [1, 1])
        XCTAssertEqual(pool.status().map(\.modelUploads), [1, 1])
        XCTAssertEqual(first.summary.rowsScored, 20_000)
        XCTAssertEqual(second.summary.rowsScored, 20_000)
        XCTAssertEqual(pool.status().map(\.rowsScored).reduce(0, +), 40_000)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: directory + "/1.csv")),
                       try Data(contentsOf: URL(fileURLWithPath: directory + "/2.csv")))
    }

    func testTwoConcurrentJobsOnOnePoolMatchInProcessScoring() async throws {
        let workers = try LoopbackWorkers(count: 2)
        defer { workers.shutdown() }
        let pool = try WorkerPool(endpoints: workers.endpoints, secret: workers.secret, logger: logger)
        defer { pool.close() }
        let a = try TestData.customers(rows: 30_000, seed: 7, in: directory, name: "a.csv")
        let b = try TestData.customers(rows: 25_000, seed: 8, in: directory, name: "b.csv")
        let jobA = try service.start(request(a, engine: .pool(pool), results: directory + "/a-pool.csv", chunkBytes: 32 << 10))
        let jobB = try service.start(request(b, engine: .pool(pool), results: directory + "/b-pool.csv", chunkBytes: 32 << 10))
        let (outA, outB) = (try await jobA.outcome, try await jobB.outcome)
        XCTAssertEqual(outA.summary.rowsScored, 30_000)
        XCTAssertEqual(outB.summary.rowsScored, 25_000)
        _ = try await service.start(request(a, engine: .inProcess(threads: 2), results: directory + "/a-local.csv")).outcome
        _ = try await service.start(request(b, engine: .inProcess(threads: 2), results: directory + "/b-local.csv")).outcome
        for name in ["a", "b"] {
            let pooled = try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name)-pool.csv"))
            let local = try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name)-local.csv"))
            XCTAssertTrue(pooled == local, "\(name): pool and in-process results differ")
        }
    }

    func testCancellingAPoolJobLeavesNoResultsAndIdleWorkers() async throws {
        let workers = try LoopbackWorkers(count: 2)
        defer { workers.shutdown() }
        let pool = try WorkerPool(endpoints: workers.endpoints, secret: workers.secret, logger: logger)
        defer { pool.close() }
        let input = try TestData.customers(rows: 400_000, seed: 9, in: directory)
        let results = directory + "/out/cancelled.csv"
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        let job = try service.start(request(input, engine: .pool(pool), results: results, history: true, chunkBytes: 16 << 10))
        for await event in job.events() {
            if case .progress(let p) = event, p.rowsScored > 0 { break }
        }
        job.cancel()
        do {
            _ = try await job.outcome
            XCTFail("a cancelled job has no outcome")
        } catch {
            XCTAssertTrue(error is JobCancelled, "\(error)")
        }
        XCTAssertEqual(job.state, .cancelled)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory + "/out"), [], "no results, no temporary file")
        // The workers are idle within a second: nothing in flight, nothing queued.
        let deadline = Date().addingTimeInterval(1)
        var busy = -1
        repeat {
            busy = pool.status().map(\.inFlight).reduce(0, +)
            let stats = try workers.stats()
            busy += stats.map { Int($0.stats?.shardsInFlight ?? 1) + Int($0.stats?.queueDepth ?? 1) }.reduce(0, +)
        } while busy > 0 && Date() < deadline
        XCTAssertEqual(busy, 0, "workers still busy a second after the cancel")
        // The pool carries on: a next job on it succeeds.
        let small = try TestData.customers(rows: 1_000, seed: 10, in: directory, name: "small.csv")
        let next = try await service.start(request(small, engine: .pool(pool), results: directory + "/next.csv")).outcome
        XCTAssertEqual(next.summary.rowsScored, 1_000)
    }
}
