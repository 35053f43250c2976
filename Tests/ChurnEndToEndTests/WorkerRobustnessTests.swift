import ChurnWire
import Foundation
import XCTest

/// Hostile and broken peers against a real worker process: each closes its own connection with a
/// logged reason; the worker keeps serving everyone else.
final class WorkerRobustnessTests: XCTestCase {
    var dir: URL!
    var worker: WorkerProcess!
    var model: String!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
        worker = try WorkerProcess(secretFile: nil, extra: ["--handshake-timeout", "1", "--idle-timeout", "2", "--max-connections", "20"])
    }

    override func tearDown() {
        worker?.terminate()
    }

    /// A real scoring run through the same worker still succeeds.
    private func assertStillServes(file: StaticString = #filePath, line: UInt = #line) throws {
        let out = dir.appendingPathComponent("after.csv").path
        let r = try ChurnBinary.run(["score", ChurnBinary.testCSV, "--model", model, "--out", out, "--workers", worker.address, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count, 501, file: file, line: line)
    }

    func testGarbageBytesCloseThatConnectionOnly() throws {
        let bystander = try RawClient(port: worker.port)
        bystander.send(RawClient.hello())
        let client = try RawClient(port: worker.port)
        client.send(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let (bytes, closed) = client.readUntilClosed()
        XCTAssertTrue(closed)
        guard case let .error(e)? = RawClient.messages(bytes).first else { return XCTFail("no ERROR frame: \(bytes)") }
        XCTAssertEqual(e.code, .malformedFrame)
        XCTAssertTrue(worker.logContains("bad magic"), worker.log)
        // The bystander's session is untouched.
        bystander.send(Message.heartbeat(.init(sentAt: 42)).encode(requestId: 2))
        var decoder = FrameDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var got: [Message] = []
        let deadline = Date().addingTimeInterval(3)
        while got.count < 2 && Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(bystander.fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            decoder.feed(buffer[0..<n])
            while let f = try decoder.next() { got.append(try Message.decode(f)) }
        }
        XCTAssertEqual(got.last, .heartbeatAck(.init(sentAt: 42)))
        try assertStillServes()
    }

    func testHugeLengthFieldIsRefusedBeforeAllocating() throws {
        let client = try RawClient(port: worker.port)
        var header = Message.heartbeat(.init(sentAt: 1)).encode(requestId: 1)
        // Payload length (bytes 16..<20) → 0xFFFFFFF0: 4 GB announced, nothing sent.
        header.replaceSubrange(16..<20, with: [0xFF, 0xFF, 0xFF, 0xF0])
        client.send(Array(header[0..<24]))
        let (bytes, closed) = client.readUntilClosed()
        XCTAssertTrue(closed)
        guard case let .error(e)? = RawClient.messages(bytes).first else { return XCTFail("no ERROR frame") }
        XCTAssertEqual(e.code, .frameTooLarge)
        try assertStillServes()
    }

    func testHalfAFrameThenSilenceTimesOut() throws {
        let client = try RawClient(port: worker.port)
        let hello = RawClient.hello()
        client.send(Array(hello[0..<(hello.count / 2)]))
        let start = Date()
        let (bytes, closed) = client.readUntilClosed(timeout: 6)
        XCTAssertTrue(closed, "a half-open connection must time out")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        guard case let .error(e)? = RawClient.messages(bytes).first else { return XCTFail("no ERROR frame") }
        XCTAssertEqual(e.code, .idleTimeout)
        try assertStillServes()
    }

    func testRequestsBeforeTheHandshakeAreRefused() throws {
        let client = try RawClient(port: worker.port)
        client.send(Message.statsRequest(.init()).encode(requestId: 9))
        let (bytes, closed) = client.readUntilClosed()
        XCTAssertTrue(closed)
        guard case let .error(e)? = RawClient.messages(bytes).first else { return XCTFail("no ERROR frame") }
        XCTAssertEqual(e.code, .notAuthenticated)
    }

    func testUnknownMessageTypeGetsAnErrorAndTheConnectionStaysOpen() throws {
        let client = try RawClient(port: worker.port)
        client.send(RawClient.hello())
        client.send(Frame(type: 0x55, requestId: 7, payload: [1, 2, 3]).encode())
        client.send(Message.heartbeat(.init(sentAt: 5)).encode(requestId: 8))
        usleep(300_000)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
        let messages = RawClient.messages(Array(buffer[0..<max(0, n)]))
        XCTAssertEqual(messages.count, 3, "\(messages)")
        guard messages.count == 3, case let .error(e) = messages[1] else { return XCTFail("\(messages)") }
        XCTAssertEqual(e.code, .unknownMessageType)
        XCTAssertEqual(messages[2], .heartbeatAck(.init(sentAt: 5)))
    }

    func testAFloodOfConnectionsIsBoundedAndServiceContinues() throws {
        var clients: [RawClient] = []
        for _ in 0..<60 { clients.append(try RawClient(port: worker.port)) }
        usleep(300_000)
        // Past the limit of 20, connections are refused with OVERLOADED.
        let refused = clients.suffix(20).filter { c in
            let (bytes, closed) = c.readUntilClosed(timeout: 2)
            if case .error(let e)? = RawClient.messages(bytes).first { return closed && e.code == .overloaded }
            return false
        }
        XCTAssertEqual(refused.count, 20)
        clients.removeAll()
        usleep(300_000)
        try assertStillServes()
    }

    func testSIGTERMDrainsAndExitsZero() throws {
        try assertStillServes()
        XCTAssertEqual(worker.terminate(), 0)
        XCTAssertTrue(worker.logContains("draining"), worker.log)
        XCTAssertTrue(worker.logContains("stopped"), worker.log)
    }
}
