import ChurnCore
import ChurnWire
import Foundation
import XCTest

/// Protocol version 6's shards by reference against a real worker process over real sockets: only a
/// worker started with an input file reads a shard from it, only from that file as it is now and
/// inside it; anything else is refused with ERROR 17 and closes that connection only; what it
/// scores is exactly what the same bytes sent inline give.
final class ShardReferenceTests: XCTestCase {
    var dir: URL!
    var model: String!
    /// A copy of the test CSV that a test may change.
    var input: String!
    var fileBytes: [UInt8]!
    var columns: [String]!
    /// Where the records start (after the header line).
    var rowsStart = 0

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
        input = dir.appendingPathComponent("input.csv").path
        try FileManager.default.copyItem(atPath: ChurnBinary.testCSV, toPath: input)
        fileBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
        rowsStart = fileBytes.firstIndex(of: 0x0A)! + 1
        columns = String(decoding: fileBytes[..<(rowsStart - 1)], as: UTF8.self).split(separator: ",").map(String.init)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    /// A file's identity as SCORE_SHARD_REF names it.
    private struct Identity {
        var device: UInt64, inode: UInt64, size: UInt64, modified: Int64
    }

    private func identity() throws -> Identity {
        var st = stat()
        XCTAssertEqual(stat(input, &st), 0)
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: UInt64(st.st_size),
                        modified: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    /// The fields of a shard of the records from line 2, with no rows.
    private func shard(_ hash: ModelHash, id: UInt64) -> Message.ScoreShard {
        Message.ScoreShard(shardId: id, attempt: 0, firstLine: 2, modelHash: hash, rankBy: .combined, topK: 3,
                           columns: columns, rows: [UInt8](), withHistory: true)
    }

    private func reference(_ hash: ModelHash, id: UInt64, identity i: Identity, offset: Int, length: Int) -> [UInt8] {
        Message.scoreShardReference(.init(shard: shard(hash, id: id), device: i.device, inode: i.inode, size: i.size,
                                          modifiedNanoseconds: i.modified, offset: UInt64(offset),
                                          length: UInt32(length))).encode(requestId: 100 + id)
    }

    /// A worker that can still serve a new connection (the refusal closed one connection only).
    private func assertServes(_ worker: WorkerProcess, file: StaticString = #filePath, line: UInt = #line) throws {
        let (other, _) = try RawClient.established(port: worker.port, versions: [4, 5, 6])
        other.send(Message.heartbeat(.init(sentAt: 7)).encode(requestId: 4))
        XCTAssertEqual(other.readFrames(1).compactMap { try? Message.decode($0) }, [.heartbeatAck(.init(sentAt: 7))],
                       file: file, line: line)
    }

    /// A reference to the worker's own file is scored exactly as the same bytes sent in a
    /// SCORE_SHARD: the same results CSV, history chunk and aggregate.
    func testAReferencedShardIsScoredLikeItsBytesSentInline() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--input-file", input])
        defer { worker.terminate() }
        let (client, version) = try RawClient.established(port: worker.port, versions: [4, 5, 6])
        XCTAssertEqual(version, 6)
        let hash = try client.loadModel(model)
        // The first 300 records, cut at a record boundary.
        var end = rowsStart
        for _ in 0..<300 { end = fileBytes[end...].firstIndex(of: 0x0A)! + 1 }
        var inline = shard(hash, id: 1)
        inline.rows = fileBytes[rowsStart..<end]
        client.send(Message.scoreShard(inline).encode(requestId: 101))
        client.send(reference(hash, id: 2, identity: try identity(), offset: rowsStart, length: end - rowsStart))
        let replies = client.readFrames(2, timeout: 30).compactMap { try? Message.decode($0) }
        var results: [UInt64: Message.ShardResult] = [:]
        for case let .shardResult(r) in replies { results[r.shardId] = r }
        guard var byReference = results[2], let expected = results[1] else { return XCTFail("\(replies)") }
        XCTAssertEqual(expected.rowCount, 300)
        byReference.shardId = 1
        XCTAssertEqual(byReference, expected)
    }

    /// An operator's worker (no --input-file) refuses every reference with ERROR 17 INPUT_REFUSED and
    /// closes that connection only.
    func testAWorkerWithoutAnInputFileRefusesAndClosesTheConnectionOnly() throws {
        let worker = try WorkerProcess(secretFile: nil)
        defer { worker.terminate() }
        let (client, version) = try RawClient.established(port: worker.port, versions: [4, 5, 6])
        XCTAssertEqual(version, 6)
        let hash = try client.loadModel(model)
        client.send(reference(hash, id: 1, identity: try identity(), offset: rowsStart, length: 100))
        client.assertRefusedAndClosed(with: .inputRefused, worker)
        XCTAssertTrue(worker.logContains("INPUT_REFUSED"), worker.log)
        try assertServes(worker)
    }

    /// Another file's identity (here another inode), a range past the end, or one longer than the
    /// frame limit are refused: the worker reads nothing but its own file, inside it.
    func testAnotherFileOrARangeOutsideTheFileIsRefused() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--input-file", input, "--max-frame", "32768"])
        defer { worker.terminate() }
        let own = try identity()
        var other = own
        other.inode += 1
        let cases: [(Identity, Int, Int)] = [
            (other, rowsStart, 100),  // another file
            (own, fileBytes.count - 10, 11),  // one byte past the end
            (own, Int(UInt32.max), 1),  // far past it
            (own, 0, 32769),  // over the frame limit (the file is larger)
        ]
        XCTAssertGreaterThan(fileBytes.count, 32769)
        for (n, (identity, offset, length)) in cases.enumerated() {
            let (client, _) = try RawClient.established(port: worker.port, versions: [4, 5, 6])
            let hash = try client.loadModel(model)
            client.send(reference(hash, id: UInt64(n + 1), identity: identity, offset: offset, length: length))
            client.assertRefusedAndClosed(with: .inputRefused, worker)
        }
        try assertServes(worker)
    }

    /// A file cut after the worker opened it is refused (its identity changed), never read past its
    /// end: the worker does not crash (no SIGBUS) and serves the next connection.
    func testAFileCutAfterTheWorkerStartedIsRefusedWithoutACrash() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--input-file", input])
        defer { worker.terminate() }
        let before = try identity()
        XCTAssertEqual(truncate(input, off_t(fileBytes.count / 2)), 0)
        let (client, _) = try RawClient.established(port: worker.port, versions: [4, 5, 6])
        let hash = try client.loadModel(model)
        client.send(reference(hash, id: 1, identity: before, offset: rowsStart, length: fileBytes.count - rowsStart))
        client.assertRefusedAndClosed(with: .inputRefused, worker)
        XCTAssertTrue(worker.logContains("does not name this worker's input file"), worker.log)
        try assertServes(worker)
    }

    /// A file cut while a worker scores a range of it that is mapped: the pages past the new end
    /// vanish under the scorer (SIGBUS), which the worker survives; the shard is refused with ERROR 17,
    /// never answered from what was left, and the worker serves the next connection.
    func testAFileCutWhileAShardIsScoredIsRefusedWithoutACrash() throws {
        let big = dir.appendingPathComponent("big.csv").path
        XCTAssertEqual(try ChurnBinary.run(["generate", "--rows", "200000", "--seed", "5", "--no-label", "--out", big]).status, 0)
        input = big
        fileBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: big)))
        rowsStart = fileBytes.firstIndex(of: 0x0A)! + 1
        columns = String(decoding: fileBytes[..<(rowsStart - 1)], as: UTF8.self).split(separator: ",").map(String.init)
        let worker = try WorkerProcess(secretFile: nil, extra: ["--input-file", big])
        defer { worker.terminate() }
        let (client, _) = try RawClient.established(port: worker.port, versions: [4, 5, 6])
        let hash = try client.loadModel(model)
        client.send(reference(hash, id: 1, identity: try identity(), offset: rowsStart, length: fileBytes.count - rowsStart))
        // About when the worker maps the range and starts scoring its 200,000 rows (which takes
        // the debug build far longer); then the file loses all but its header.
        usleep(100_000)
        XCTAssertEqual(truncate(big, off_t(rowsStart)), 0)
        let (bytes, closed) = client.readUntilClosed(timeout: 60)
        let replies = RawClient.messages(bytes)
        XCTAssertTrue(closed)
        guard case let .error(e)? = replies.last else { return XCTFail("\(replies)") }
        XCTAssertEqual(e.code, .inputRefused, e.message)
        XCTAssertFalse(replies.contains { if case .shardResult = $0 { return true } else { return false } }, "\(replies)")
        XCTAssertTrue(worker.process.isRunning, "the worker process ended")
        // Cut while mapped (the SIGBUS path, which MappedRangesTests checks deterministically), or,
        // on a slow machine, before the worker began to read it: refused either way.
        XCTAssertTrue(worker.logContains("was cut while the shard was read") || worker.logContains("changed since the shard was sent")
                      || worker.logContains("changed while the shard was read"), worker.log)
        try assertServes(worker)
    }

    /// On a version 5 session SCORE_SHARD_REF does not exist: ERROR 5, and the connection stays open.
    func testAVersionFiveSessionGetsUnknownMessageType() throws {
        let worker = try WorkerProcess(secretFile: nil, extra: ["--input-file", input])
        defer { worker.terminate() }
        let (client, version) = try RawClient.established(port: worker.port, versions: [4, 5])
        XCTAssertEqual(version, 5)
        let hash = try client.loadModel(model)
        client.send(reference(hash, id: 1, identity: try identity(), offset: rowsStart, length: 100))
        client.send(Message.heartbeat(.init(sentAt: 9)).encode(requestId: 4))
        let replies = client.readFrames(2).compactMap { try? Message.decode($0) }
        XCTAssertEqual(replies.count, 2, "\(replies)")
        if case let .error(e)? = replies.first { XCTAssertEqual(e.code, .unknownMessageType) } else { XCTFail("\(replies)") }
        XCTAssertEqual(replies.last, .heartbeatAck(.init(sentAt: 9)))
    }
}
