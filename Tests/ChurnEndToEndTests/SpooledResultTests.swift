import ChurnCore
import ChurnWire
import Foundation
import XCTest

/// Protocol version 5's spooled results against a real worker over real sockets: only a worker
/// started with a spool directory writes results into it, only into that one, only on a version 5
/// session that asked; what it writes is exactly the inline result's CSV.
final class SpooledResultTests: XCTestCase {
    var dir: URL!
    var model: String!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: dir)
    }

    private func spoolDirectory(_ name: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    /// A connection through the handshake at the version chosen from `versions` (no secret).
    private func established(_ worker: WorkerProcess, versions: [UInt16]) throws -> (RawClient, UInt16) {
        try RawClient.established(port: worker.port, versions: versions)
    }

    private func shard(model hash: ModelHash, id: UInt64 = 7, copies: Int = 1) throws -> [UInt8] {
        let text = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let rows = String(repeating: lines[1...200].joined(separator: "\n") + "\n", count: copies)
        return Message.scoreShard(.init(shardId: id, attempt: 0, firstLine: 2, modelHash: hash, rankBy: .combined, topK: 3,
                                        columns: lines[0].split(separator: ",").map(String.init), rows: Array(rows.utf8),
                                        withHistory: true)).encode(requestId: 100 + id)
    }

    /// An operator's worker (no --spool-dir) refuses SPOOL_RESULTS, whatever directory it names,
    /// with ERROR 16 SPOOL_REFUSED and closes that connection only.
    func testAWorkerWithoutASpoolDirectoryRefusesAndClosesTheConnectionOnly() throws {
        let worker = try WorkerProcess(secretFile: nil)
        defer { worker.terminate() }
        let (client, version) = try established(worker, versions: [4, 5])
        XCTAssertEqual(version, 5)
        client.send(Message.spoolResults(.init(directory: dir.path)).encode(requestId: 3))
        client.assertRefusedAndClosed(with: .spoolRefused, worker)
        // Another connection is served as before.
        let (other, _) = try established(worker, versions: [4, 5])
        other.send(Message.heartbeat(.init(sentAt: 1)).encode(requestId: 4))
        XCTAssertEqual(other.readFrames(1).compactMap { try? Message.decode($0) }, [.heartbeatAck(.init(sentAt: 1))])
    }

    /// A --local worker accepts only the directory it was started with: naming any other (here its
    /// parent) is refused and nothing is written anywhere.
    func testAnotherDirectoryThanTheWorkersOwnIsRefused() throws {
        let spool = try spoolDirectory("spool")
        let worker = try WorkerProcess(secretFile: nil, extra: ["--spool-dir", spool])
        defer { worker.terminate() }
        let (client, _) = try established(worker, versions: [4, 5])
        client.send(Message.spoolResults(.init(directory: dir.path)).encode(requestId: 3))
        client.assertRefusedAndClosed(with: .spoolRefused, worker)
        XCTAssertTrue(worker.logContains("SPOOL_REFUSED"), worker.log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: spool), [])
    }

    /// On a version 4 session SPOOL_RESULTS does not exist: ERROR 5, and the connection stays open.
    func testAVersionFourSessionGetsUnknownMessageType() throws {
        let spool = try spoolDirectory("spool4")
        let worker = try WorkerProcess(secretFile: nil, extra: ["--spool-dir", spool])
        defer { worker.terminate() }
        let (client, version) = try established(worker, versions: [4])
        XCTAssertEqual(version, 4)
        client.send(Message.spoolResults(.init(directory: spool)).encode(requestId: 3))
        client.send(Message.heartbeat(.init(sentAt: 9)).encode(requestId: 4))
        let replies = client.readFrames(2).compactMap { try? Message.decode($0) }
        XCTAssertEqual(replies.count, 2, "\(replies)")
        if case let .error(e)? = replies.first { XCTAssertEqual(e.code, .unknownMessageType) } else { XCTFail("\(replies)") }
        XCTAssertEqual(replies.last, .heartbeatAck(.init(sentAt: 9)))
    }

    /// With its own directory, the worker answers SPOOL_READY, then SHARD_RESULT_SPOOLED naming a
    /// plain file in that directory holding exactly the CSV an inline SHARD_RESULT carries; the
    /// history chunk and aggregate are those of the inline result.
    func testASpooledResultIsTheInlineResultWithItsCSVInAFile() throws {
        let spool = try spoolDirectory("spool5")
        let worker = try WorkerProcess(secretFile: nil, extra: ["--spool-dir", spool])
        defer { worker.terminate() }

        let (inline, _) = try established(worker, versions: [4, 5])
        let hash = try inline.loadModel(model)
        inline.send(try shard(model: hash))
        guard let frame = inline.readFrames(1, timeout: 30).first, case let .shardResult(expected) = try Message.decode(frame) else {
            return XCTFail("no inline SHARD_RESULT")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: spool), [], "an inline result was spooled")

        let (client, version) = try established(worker, versions: [4, 5])
        XCTAssertEqual(version, 5)
        client.send(Message.spoolResults(.init(directory: spool)).encode(requestId: 3))
        client.send(try shard(model: hash))
        let replies = client.readFrames(2, timeout: 30).compactMap { try? Message.decode($0) }
        XCTAssertEqual(replies.first, .spoolReady(.init(directory: spool)))
        guard case let .shardResultSpooled(spooled)? = replies.last else { return XCTFail("\(replies)") }
        XCTAssertTrue(Message.SpooledShardResult.isPlainFileName(spooled.file), spooled.file)
        let csv = try Data(contentsOf: URL(fileURLWithPath: spool).appendingPathComponent(spooled.file))
        XCTAssertEqual(UInt64(csv.count), spooled.csvLength)
        XCTAssertEqual([UInt8](csv), Array(expected.csv))
        XCTAssertGreaterThan(csv.count, 0)
        // With the file's bytes in place of its CSV, the very message sent inline (rows, history, aggregate).
        var whole = spooled.result
        whole.csv = ArraySlice([UInt8](csv))
        XCTAssertEqual(whole, expected)
    }

    /// Shards cancelled as soon as they are sent: each is answered once (CANCELLED, or its spooled
    /// result if it had finished), and the directory then holds exactly the files the answers name:
    /// a cancelled shard's file is removed by the worker, never left for nobody.
    func testCancelledShardsLeaveNoFiles() throws {
        let spool = try spoolDirectory("spool-cancel")
        let worker = try WorkerProcess(secretFile: nil, extra: ["--spool-dir", spool])
        defer { worker.terminate() }
        let (client, _) = try established(worker, versions: [4, 5])
        let hash = try client.loadModel(model)
        client.send(Message.spoolResults(.init(directory: spool)).encode(requestId: 3))
        // Big shards (20,000 rows), each cancelled a moment after it is sent: while it is being
        // scored, so that its file is written and then must be removed.
        for id in UInt64(1)...4 {
            client.send(try shard(model: hash, id: id, copies: 100))
            usleep(10_000)
            client.send(Message.cancel(.init(shardId: id)).encode(requestId: 200 + id))
        }
        let replies = client.readFrames(5, timeout: 60).compactMap { try? Message.decode($0) }
        XCTAssertEqual(replies.count, 5, "\(replies)")
        var named: Set<String> = []
        var cancelled = 0
        for reply in replies.dropFirst() {
            switch reply {
            case let .shardResultSpooled(r): named.insert(r.file)
            case let .error(e) where e.code == .cancelled: cancelled += 1
            default: XCTFail("unexpected \(reply)")
            }
        }
        XCTAssertEqual(named.count + cancelled, 4)
        // The worker has answered every shard; its files are written before their answers.
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: spool)), named)
    }

    /// A file the client renamed `NAME.free` is taken over by the next result (the same inode,
    /// renamed, overwritten and cut to the new length): its pages are reused rather than freed.
    func testAFreedFileIsTakenOverByTheNextResult() throws {
        let spool = try spoolDirectory("spool-reuse")
        let worker = try WorkerProcess(secretFile: nil, extra: ["--spool-dir", spool])
        defer { worker.terminate() }
        let (inline, _) = try established(worker, versions: [4, 5])
        let hash = try inline.loadModel(model)
        inline.send(try shard(model: hash, id: 1))
        guard let frame = inline.readFrames(1, timeout: 30).first, case let .shardResult(expected) = try Message.decode(frame) else {
            return XCTFail("no inline SHARD_RESULT")
        }

        let (client, _) = try established(worker, versions: [4, 5])
        client.send(Message.spoolResults(.init(directory: spool)).encode(requestId: 3))
        client.send(try shard(model: hash, id: 2, copies: 3))  // longer than the next one
        let first = client.readFrames(2, timeout: 30).compactMap { try? Message.decode($0) }
        guard case let .shardResultSpooled(big)? = first.last else { return XCTFail("\(first)") }
        let bigPath = spool + "/" + big.file
        let inode = try FileManager.default.attributesOfItem(atPath: bigPath)[.systemFileNumber] as? Int
        XCTAssertNotNil(inode)
        XCTAssertEqual(rename(bigPath, bigPath + ".free"), 0)

        client.send(try shard(model: hash, id: 3))
        guard let reply = client.readFrames(1, timeout: 30).first, case let .shardResultSpooled(small) = try Message.decode(reply) else {
            return XCTFail("no SHARD_RESULT_SPOOLED")
        }
        let smallPath = spool + "/" + small.file
        XCTAssertNotEqual(small.file, big.file)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bigPath + ".free"), "the freed file was not taken over")
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: smallPath)[.systemFileNumber] as? Int, inode)
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: smallPath))), Array(expected.csv))
        XCTAssertEqual(small.csvLength, UInt64(expected.csv.count))
    }
}
