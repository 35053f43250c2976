import ChurnTransport
import Foundation
import XCTest

final class BackpressureTests: XCTestCase {
    /// A paused server and a client that writes 32 MiB: the client's queue grows, nothing reaches the
    /// server while paused, and everything arrives (and the queue drains) after resuming.
    func testWriteQueueGrowsWhilePeerPausedAndDrainsAfterResume() throws {
        let serverThread = try LoopThread()
        let clientThread = try LoopThread()
        let total = 32 << 20
        let serverSide = Box<TCPConnection?>(nil)
        let serverReceived = Box(0)
        let accepted = expectation(description: "accepted")
        let allReceived = expectation(description: "all received")

        let port = try serverThread.sync {
            try TCPListener.bind(loop: serverThread.loop, host: "127.0.0.1", port: 0) { connection in
                connection.pauseReading()
                serverSide.value = connection
                connection.onRead = { bytes in
                    serverReceived.value += bytes.count
                    if serverReceived.value == total { allReceived.fulfill() }
                }
                connection.onClose = { _ in }
                accepted.fulfill()
            }.port
        }
        let client = Box<TCPConnection?>(nil)
        let drained = expectation(description: "client drained")
        let connected = expectation(description: "connected")
        try clientThread.sync {
            TCPConnection.connect(loop: clientThread.loop, host: "127.0.0.1", port: port) { result in
                guard case .success(let connection) = result else { return XCTFail("\(result)") }
                client.value = connection
                connection.onDrained = { drained.fulfill() }
                connection.onClose = { _ in }
                let chunk = [UInt8](repeating: 7, count: 1 << 20)
                for _ in 0..<(total >> 20) { connection.write(chunk) }  // the same storage 32 times: no copies
                connected.fulfill()
            }
        }
        wait(for: [connected, accepted], timeout: 5)
        Thread.sleep(forTimeInterval: 0.2)
        let queued = try clientThread.sync { client.value!.writeQueueSize }
        let receivedWhilePaused = try serverThread.sync { serverReceived.value }
        XCTAssertGreaterThan(queued, 8 << 20, "kernel buffers cannot absorb 32 MiB")
        XCTAssertEqual(receivedWhilePaused, 0)
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(try serverThread.sync { serverReceived.value }, 0, "data flowed while paused")

        try serverThread.sync { serverSide.value!.resumeReading() }
        wait(for: [allReceived, drained], timeout: 10)
        XCTAssertEqual(try clientThread.sync { client.value!.writeQueueSize }, 0)

        // Pause again mid-stream: the flow stops, and resumes afterwards.
        try clientThread.sync { client.value!.write([UInt8](repeating: 1, count: 4 << 20)) }
        try serverThread.sync { serverSide.value!.pauseReading() }
        let pausedAt = try serverThread.sync { serverReceived.value }
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(try serverThread.sync { serverReceived.value }, pausedAt)
        try serverThread.sync { serverSide.value!.resumeReading() }
        let deadline = monotonicSeconds() + 5
        while try serverThread.sync({ serverReceived.value }) < total + (4 << 20), monotonicSeconds() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertEqual(try serverThread.sync { serverReceived.value }, total + (4 << 20))

        XCTAssertEqual(clientThread.stop(), 0)
        XCTAssertEqual(serverThread.stop(), 0)
    }

    /// shutdownAndClose() with megabytes still queued: all of it reaches the peer, which then sees EOF.
    func testShutdownAndCloseFlushesQueuedWrites() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let total = 16 << 20
        let data = patternBytes(seed: 42, count: total)
        let received = Box<[UInt8]>([])
        let serverReason = Box<CloseReason?>(nil)
        let clientReason = Box<CloseReason?>(nil)
        let queuedAtShutdown = Box(0)
        let bothClosed = expectation(description: "both closed")
        bothClosed.expectedFulfillmentCount = 2

        try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { server in
                // Read nothing for a while so that the client's writes are still queued at shutdown.
                server.pauseReading()
                LoopTimer.once(loop: loop, after: .milliseconds(100)) { server.resumeReading() }
                server.onRead = { received.value += $0 }
                server.onClose = {
                    serverReason.value = $0
                    bothClosed.fulfill()
                }
            }
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                guard case .success(let client) = result else { return XCTFail("\(result)") }
                client.onClose = {
                    clientReason.value = $0
                    bothClosed.fulfill()
                }
                var offset = 0
                while offset < total {
                    client.write(Array(data[offset..<offset + 65_536]))
                    offset += 65_536
                }
                queuedAtShutdown.value = client.writeQueueSize
                client.shutdownAndClose()
                XCTAssertFalse(client.write([1]), "writes after shutdownAndClose are refused")
            }
        }
        wait(for: [bothClosed], timeout: 10)
        XCTAssertGreaterThan(queuedAtShutdown.value, 0)
        XCTAssertEqual(received.value.count, total)
        XCTAssertTrue(received.value == data, "bytes differ")
        XCTAssertEqual(serverReason.value, .peerClosed)
        XCTAssertEqual(clientReason.value, .closedLocally)
        XCTAssertEqual(loopThread.stop(), 0)
    }

    /// close() with writes queued drops them, reports once, and frees everything (loop closes cleanly).
    func testCloseWithQueuedWritesCancelsThem() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let reasons = Box<[CloseReason]>([])
        let closed = expectation(description: "closed")
        try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { server in
                server.pauseReading()
                server.onClose = { _ in }
            }
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                guard case .success(let client) = result else { return XCTFail("\(result)") }
                client.onDrained = { XCTFail("cancelled writes must not report a drain") }
                client.onClose = {
                    reasons.value.append($0)
                    closed.fulfill()
                }
                for _ in 0..<32 { client.write([UInt8](repeating: 3, count: 1 << 20)) }
                XCTAssertGreaterThan(client.writeQueueSize, 0)
                client.close()
            }
        }
        wait(for: [closed], timeout: 5)
        XCTAssertEqual(reasons.value, [.closedLocally])
        XCTAssertEqual(loopThread.stop(), 0)
    }
}
