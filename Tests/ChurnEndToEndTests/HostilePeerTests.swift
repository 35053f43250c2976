import ChurnCore
import ChurnWire
import Foundation
import XCTest

/// Hostile peers against a real worker over real sockets: the credit window, timeouts, closing
/// flags, the per-address handshake limit, refusal logging and model loading off the loop.
final class HostilePeerTests: XCTestCase {
    var dir: URL!
    var model: String!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A connection through the handshake (the worker has no secret).
    private func established(_ worker: WorkerProcess, source: String? = nil) throws -> RawClient {
        try RawClient.established(port: worker.port, source: source).client
    }

    private func shard(id: UInt64, model hash: ModelHash, rows: [UInt8], withHistory: Bool = false) -> [UInt8] {
        let header = try! String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).prefix { $0 != "\n" }
        return Message.scoreShard(.init(shardId: id, attempt: 0, firstLine: 2, modelHash: hash, rankBy: .combined, topK: 1,
                                        columns: header.split(separator: ",").map(String.init), rows: rows, withHistory: withHistory))
            .encode(requestId: 100 + id)
    }

    // MARK: Item 2: the credit window

    /// Six SCORE_SHARDs with one id in one write: one is scored, the other five are refused with
    /// ERROR 10 OVERLOADED, as shards past the window are.
    // MARK: Protocol version 4

    /// A client that speaks only version 3 (binary result rows) is refused with ERROR 2, and the
    /// closing frame carries END_OF_STREAM.
    func testAVersionThreeClientIsRefused() throws {
        let worker = try WorkerProcess(secretFile: nil)
        defer { worker.terminate() }
        let client = try RawClient(port: worker.port)
        client.send(Message.hello(.init(versions: [3], clientName: "v3", clientNonce: .random())).encode(requestId: 1))
        let reply = client.readFrames(1)
        XCTAssertEqual(reply.count, 1)
        guard let frame = reply.first, case let .error(e) = try Message.decode(frame) else { return XCTFail("\(reply)") }
        XCTAssertEqual(e.code, .unsupportedVersion)
        XCTAssertTrue(e.message.contains("[4, 5, 6]") && e.message.contains("[3]"), e.message)
        XCTAssertEqual(frame.flags, .endOfStream)
    }

    /// The worker's SHARD_RESULT holds the results CSV rows `churn score` writes in one process for
    /// the same records (the id that needs quoting and the formula-like id included), and a history
    /// chunk exactly when asked for.
    func testShardResultCarriesTheInProcessCSVAndAHistoryChunkWhenAsked() throws {
        let lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n").map(String.init)
        var records = Array(lines[1...40])
        records[3] = "\"C,\"\"x\"\"\"" + records[3].drop { $0 != "," }
        records[5] = "=cmd()" + records[5].drop { $0 != "," }
        let body = Array(records.joined(separator: "\n").utf8) + [0x0A]
        let file = dir.appendingPathComponent("shard.csv").path
        try Data(Array((lines[0] + "\n").utf8) + body).write(to: URL(fileURLWithPath: file))
        let out = dir.appendingPathComponent("shard-out.csv").path
        let r = try ChurnBinary.run(["score", file, "--model", model, "--out", out, "--quiet", "--no-history"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let expected = try Data(contentsOf: URL(fileURLWithPath: out)).split(separator: 0x0A, maxSplits: 1)[1]

        let worker = try WorkerProcess(secretFile: nil)
        defer { worker.terminate() }
        let client = try established(worker)
        let hash = try client.loadModel(model)
        client.send(shard(id: 1, model: hash, rows: body, withHistory: true) + shard(id: 2, model: hash, rows: body))
        let replies = try client.readFrames(2, timeout: 30).map { try Message.decode($0) }
        let results = replies.compactMap { m -> Message.ShardResult? in if case let .shardResult(s) = m { return s } else { return nil } }
        XCTAssertEqual(results.count, 2, "\(replies)")
        for result in results {
            XCTAssertEqual(result.rowCount, 40)
            XCTAssertEqual(Data(result.csv), Data(expected))
            XCTAssertEqual(result.history?.rowCount, result.shardId == 1 ? 40 : nil)
            XCTAssertEqual(result.history?.firstLine, result.shardId == 1 ? 2 : nil)
        }
        XCTAssertTrue(String(decoding: results[0].csv, as: UTF8.self).contains("\"'=cmd()\""))
    }

    func testReusedShardIdCannotBypassTheCreditWindow() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--max-in-flight", "4"])
        defer { worker.terminate() }
        let client = try established(worker)
        let hash = try client.loadModel(model)
        let rows = Array(try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n")[1].utf8) + [0x0A]
        client.send((0..<6).flatMap { _ in shard(id: 7, model: hash, rows: rows) })
        let replies = try client.readFrames(6).map { try Message.decode($0) }
        XCTAssertEqual(replies.count, 6)
        let results = replies.filter { if case .shardResult = $0 { return true } else { return false } }
        let refused = replies.compactMap { m -> Message.ErrorMessage? in if case let .error(e) = m { return e } else { return nil } }
        XCTAssertEqual(results.count, 1, "\(replies)")
        XCTAssertEqual(refused.count, 5)
        XCTAssertTrue(refused.allSatisfy { $0.code == .overloaded && $0.message.contains("already in flight") }, "\(refused)")
    }

    /// Memory per connection: 40 shards of 3.5 MB with one id, as fast as the socket takes them, grow
    /// the worker by at most (window + 1) frames and their copies, not by every shard sent.
    func testWorkerMemoryPerConnectionIsBoundedByTheWindow() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--max-in-flight", "2", "--max-frame", String(4 << 20)])
        defer { worker.terminate() }
        let client = try established(worker)
        let hash = try client.loadModel(model)
        let record = Array(try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n")[1].utf8) + [0x0A]
        var rows: [UInt8] = []
        while rows.count < 3_500_000 { rows += record }
        let before = Self.residentBytes(worker.process.processIdentifier, "VmRSS")
        let frame = shard(id: 9, model: hash, rows: rows)
        for _ in 0..<40 { client.send(frame) }
        let replies = client.readFrames(40, timeout: 60)
        XCTAssertEqual(replies.count, 40)
        let peak = Self.residentBytes(worker.process.processIdentifier, "VmHWM")
        let budget = 2 * (2 + 1) * (4 << 20) + (48 << 20)
        print("worker memory per connection: grew by \((peak - before) >> 20) MiB for 40 shards of 3.5 MB (budget \(budget >> 20) MiB)")
        XCTAssertLessThan(peak - before, budget, "worker grew by \((peak - before) >> 20) MiB")
    }

    private static func residentBytes(_ pid: Int32, _ field: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0) * 1024
    }

    // MARK: Items 9 and 10: timeouts, and closing frames carry END_OF_STREAM

    func testIdleTimeoutAfterTheHandshakeAndClosingFlags() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--handshake-timeout", "1", "--idle-timeout", "3"])
        defer { worker.terminate() }
        // Silent during the handshake: closed after the handshake timeout, ERROR 14 with END_OF_STREAM.
        let silent = try RawClient(port: worker.port)
        let (silentBytes, silentClosed) = silent.readUntilClosed(timeout: 5)
        XCTAssertTrue(silentClosed)
        let silentFrames = RawClient.frames(silentBytes)
        XCTAssertEqual(silentFrames.count, 1)
        XCTAssertEqual(silentFrames.first?.flags, .endOfStream)
        if let f = silentFrames.first, case let .error(e) = try Message.decode(f) {
            XCTAssertEqual(e.code, .idleTimeout)
            XCTAssertTrue(e.message.contains("no handshake"), e.message)
        } else { XCTFail("no ERROR: \(silentFrames)") }

        // Silent after the handshake for longer than the handshake timeout: still open.
        let client = try established(worker)
        usleep(1_800_000)
        client.send(Message.heartbeat(.init(sentAt: 77)).encode(requestId: 3))
        let ack = client.readFrames(1)
        XCTAssertEqual(ack.count, 1, "the connection was closed at the handshake timeout")
        if let f = ack.first { XCTAssertEqual(try Message.decode(f), .heartbeatAck(.init(sentAt: 77))) }
        // Then silent for the idle timeout: ERROR 14 "idle for 3 …" with END_OF_STREAM, and closed.
        let (bytes, closed) = client.readUntilClosed(timeout: 6)
        XCTAssertTrue(closed)
        let frames = RawClient.frames(bytes)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(frames.first?.flags, .endOfStream)
        if let f = frames.first, case let .error(e) = try Message.decode(f) {
            XCTAssertEqual(e.code, .idleTimeout)
            XCTAssertTrue(e.message.contains("idle for 3"), e.message)
        } else { XCTFail("no ERROR: \(frames)") }

        // A malformed frame: ERROR 1 with END_OF_STREAM.
        let garbage = try RawClient(port: worker.port)
        garbage.send(Array("NOT A FRAME AT ALL, 24 BYTES LONG".utf8))
        let garbageFrames = RawClient.frames(garbage.readUntilClosed().bytes)
        XCTAssertEqual(garbageFrames.first?.flags, .endOfStream)

        // Drain: GOODBYE with END_OF_STREAM.
        let draining = try established(worker)
        kill(worker.process.processIdentifier, SIGTERM)
        let goodbye = RawClient.frames(draining.readUntilClosed().bytes)
        XCTAssertEqual(goodbye.count, 1)
        XCTAssertEqual(goodbye.first?.type, MessageType.goodbye.rawValue)
        XCTAssertEqual(goodbye.first?.flags, .endOfStream)
    }

    // MARK: Item 13: handshake slots, refusal logging, LOAD_MODEL off the loop

    /// One address may keep at most --max-handshakes-per-address connections in the handshake; the
    /// next is refused with OVERLOADED, and another address still gets in.
    func testOneAddressCannotHoldEveryHandshakeSlot() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--max-connections", "20", "--max-handshakes-per-address", "4"])
        defer { worker.terminate() }
        let holders = try (0..<4).map { _ in try RawClient(port: worker.port) }
        usleep(200_000)
        let fifth = try RawClient(port: worker.port)
        let (bytes, closed) = fifth.readUntilClosed(timeout: 3)
        XCTAssertTrue(closed, "the fifth unauthenticated connection from one address is refused")
        let frames = RawClient.frames(bytes)
        XCTAssertEqual(frames.first?.flags, .endOfStream)
        if let f = frames.first, case let .error(e) = try Message.decode(f) {
            XCTAssertEqual(e.code, .overloaded)
            XCTAssertTrue(e.message.contains("unauthenticated"), e.message)
        } else { XCTFail("no ERROR: \(frames)") }
        // Another host (127.0.0.2) is served, and so is the same host once it authenticates.
        let other = try established(worker, source: "127.0.0.2")
        other.send(Message.heartbeat(.init(sentAt: 5)).encode(requestId: 3))
        XCTAssertEqual(other.readFrames(1).count, 1)
        holders[0].send(RawClient.hello())
        XCTAssertEqual(holders[0].readFrames(1).count, 1)
        let sixth = try established(worker)
        sixth.send(Message.heartbeat(.init(sentAt: 6)).encode(requestId: 3))
        XCTAssertEqual(sixth.readFrames(1).count, 1)
    }

    /// A burst of refused connections logs one line, not one per connection; the next report counts
    /// the ones held back.
    func testRefusedConnectionsAreLoggedAtMostOnceASecond() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--max-connections", "2"])
        defer { worker.terminate() }
        let holders = try (0..<2).map { _ in try established(worker) }
        for _ in 0..<30 { _ = try RawClient(port: worker.port).readUntilClosed(timeout: 2) }
        usleep(1_100_000)
        _ = try RawClient(port: worker.port).readUntilClosed(timeout: 2)
        XCTAssertTrue(worker.logContains("more refused since the last report"), worker.log)
        let lines = worker.log.split(separator: "\n").filter { $0.contains("refusing") }
        XCTAssertLessThanOrEqual(lines.count, 4, lines.joined(separator: "\n"))
        XCTAssertEqual(holders.count, 2)
    }

    /// While one connection's large model is parsed, another connection's heartbeat is answered:
    /// the parse runs off the event loop.
    func testLargeModelIsParsedOffTheEventLoop() throws {
        // The model plus 700,000 ignored columns: about 50 MB of JSON that takes a while to parse.
        var text = try String(contentsOfFile: model, encoding: .utf8)
        guard let range = text.range(of: "\"ignoredColumns\" : [") else { return XCTFail("model layout changed") }
        let filler = (0..<700_000).map { "{\"column\":\"filler\($0)\",\"reason\":\"padding for a large model file\"}," }.joined()
        text.insert(contentsOf: filler, at: range.upperBound)
        let big = path("big-model.json")
        try text.write(toFile: big, atomically: true, encoding: .utf8)
        let worker = try WorkerProcess(secretFile: nil)
        defer { worker.terminate() }
        let loader = try established(worker)
        let other = try established(worker)
        let hash = try RawClient.modelHash(big)
        loader.send(Message.loadModel(.init(hash: hash, json: Array(text.utf8))).encode(requestId: 2))
        usleep(100_000)  // the worker has the whole frame and is parsing it
        other.send(Message.heartbeat(.init(sentAt: 9)).encode(requestId: 3))
        XCTAssertEqual(other.readFrames(1).count, 1)
        XCTAssertFalse(loader.hasDataNow, "the heartbeat waited for the model: parsed on the event loop")
        let loaded = loader.readFrames(1, timeout: 60)
        XCTAssertEqual(loaded.count, 1)
        if let f = loaded.first { XCTAssertEqual(try Message.decode(f), .modelLoaded(.init(hash: hash))) }
    }

    private func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
}
