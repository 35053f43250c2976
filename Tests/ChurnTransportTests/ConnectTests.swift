import ChurnTransport
import Foundation
import XCTest

final class ConnectTests: XCTestCase {
    func testConnectToClosedPortFailsWithConnectionRefused() throws {
        let loopThread = try LoopThread()
        defer { loopThread.stop() }
        let loop = loopThread.loop
        let port = try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { _ in }
            listener.close()
            return listener.port
        }
        let result = Box<Result<TCPConnection, TransportError>?>(nil)
        let done = expectation(description: "completion")
        try loopThread.sync {
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: port) {
                result.value = $0
                done.fulfill()
            }
        }
        wait(for: [done], timeout: 5)
        guard case .failure(let error)? = result.value else { return XCTFail("expected failure") }
        XCTAssertEqual(error.name, "ECONNREFUSED")
        XCTAssertEqual(error.message, "connection refused")
        XCTAssertEqual(error.description, "connect to 127.0.0.1:\(port): ECONNREFUSED (connection refused)")
    }

    func testConnectTimesOut() throws {
        // A listener with backlog 0 that never accepts: once its queue holds one connection, the kernel
        // drops further SYNs, so a connect stays in progress until our timeout.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port: Int = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                XCTAssertEqual(bind(fd, sa, length), 0)
                XCTAssertEqual(listen(fd, 0), 0)
                XCTAssertEqual(getsockname(fd, sa, &length), 0)
            }
            return Int(UInt16(bigEndian: pointer.pointee.sin_port))
        }

        let loopThread = try LoopThread()
        defer { loopThread.stop() }
        let outcomes = Box<[(Result<TCPConnection, TransportError>, Double)]>([])
        let timeout = 300
        // Fill the queue, then expect a timeout; at most a few attempts.
        for _ in 0..<4 {
            let done = expectation(description: "completion")
            let started = monotonicSeconds()
            try loopThread.sync {
                TCPConnection.connect(
                    loop: loopThread.loop, host: "127.0.0.1", port: port, timeout: .milliseconds(timeout)
                ) { result in
                    outcomes.value.append((result, monotonicSeconds() - started))
                    done.fulfill()
                }
            }
            wait(for: [done], timeout: 5)
            if case .failure = outcomes.value.last!.0 { break }
        }
        guard let (last, elapsed) = outcomes.value.last, case .failure(let error) = last else {
            return XCTFail("no connect timed out")
        }
        XCTAssertEqual(error.name, "ETIMEDOUT", "\(error)")
        XCTAssertTrue(error.context.contains("127.0.0.1:\(port)"), error.context)
        XCTAssertGreaterThanOrEqual(elapsed, Double(timeout) / 1000 - 0.01)
        XCTAssertLessThan(elapsed, 2)
    }

    func testConnectByNameResolvesLocalhost() throws {
        let loopThread = try LoopThread()
        defer { loopThread.stop() }
        let loop = loopThread.loop
        let port = try loopThread.sync {
            try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { $0.onClose = { _ in } }.port
        }
        let result = Box<Result<String, TransportError>?>(nil)
        let done = expectation(description: "completion")
        try loopThread.sync {
            // "localhost" may resolve to ::1 first where nothing listens: allow both outcomes but no hang.
            TCPConnection.connect(loop: loop, host: "localhost", port: port) { outcome in
                result.value = outcome.map { connection in
                    defer { connection.close() }
                    return connection.peerAddress
                }
                done.fulfill()
            }
        }
        wait(for: [done], timeout: 5)
        switch result.value {
        case .success(let peer)?: XCTAssertEqual(peer, "127.0.0.1:\(port)")
        case .failure(let error)?: XCTAssertEqual(error.name, "ECONNREFUSED")
        case nil: XCTFail("no completion")
        }
    }

    func testCancellingAConnectReportsCancelled() throws {
        let loopThread = try LoopThread()
        defer { loopThread.stop() }
        let result = Box<Result<TCPConnection, TransportError>?>(nil)
        let done = expectation(description: "completion")
        try loopThread.sync {
            let pending = TCPConnection.connect(loop: loopThread.loop, host: "127.0.0.1", port: 9) {
                result.value = $0
                done.fulfill()
            }
            pending.close()
            XCTAssertNil(result.value, "completion must not run inside close()")
        }
        wait(for: [done], timeout: 5)
        guard case .failure(let error)? = result.value else { return XCTFail("expected failure") }
        XCTAssertEqual(error.name, "ECANCELED")
    }

    func testBindToBusyPortFails() throws {
        let loopThread = try LoopThread()
        defer { loopThread.stop() }
        let loop = loopThread.loop
        let error = try loopThread.sync { () -> TransportError? in
            let first = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { _ in }
            do {
                _ = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: first.port) { _ in }
                return nil
            } catch let error as TransportError {
                return error
            }
        }
        XCTAssertEqual(error?.name, "EADDRINUSE")
    }

    func testPeerCloseIsReportedOnce() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let serverReasons = Box<[CloseReason]>([])
        let clientReasons = Box<[CloseReason]>([])
        let serverClosed = expectation(description: "server side closed")
        try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { server in
                server.onClose = { reason in
                    serverReasons.value.append(reason)
                    serverClosed.fulfill()
                }
                // Closing again from the callbacks' point of view must not report twice.
                server.onRead = { _ in server.close() }
            }
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                guard case .success(let client) = result else { return XCTFail("\(result)") }
                client.onClose = { clientReasons.value.append($0) }
                client.close()
                client.close()
                client.shutdownAndClose()
                XCTAssertFalse(client.write([1, 2, 3]))
            }
        }
        wait(for: [serverClosed], timeout: 5)
        Thread.sleep(forTimeInterval: 0.2)
        try loopThread.sync {}
        XCTAssertEqual(serverReasons.value, [.peerClosed])
        XCTAssertEqual(clientReasons.value, [.closedLocally])
        XCTAssertEqual(loopThread.stop(), 0)
    }

    /// Writing to a peer that has gone away ends in onClose(.failed(EPIPE or ECONNRESET)), not SIGPIPE.
    func testWritingToAVanishedPeerFailsCleanly() throws {
        SignalWatcher.ignoreSIGPIPE()
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let reason = Box<CloseReason?>(nil)
        let closed = expectation(description: "client closed")
        try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { server in
                server.onRead = { _ in server.close() }  // gone at the first byte, unread data → RST
            }
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                guard case .success(let client) = result else { return XCTFail("\(result)") }
                client.pauseReading()  // never see the EOF: only writes can notice
                client.onClose = {
                    reason.value = $0
                    closed.fulfill()
                }
                let chunk = [UInt8](repeating: 5, count: 64 * 1024)
                let timer = LoopTimer(loop: loop) { client.write(chunk) }
                timer.start(after: .milliseconds(1), repeating: .milliseconds(2))
                client.onDrained = {}
                client.write(chunk)
                client.write(chunk)
                // Stop the writer once the connection is gone.
                let previous = client.onClose
                client.onClose = {
                    timer.close()
                    previous?($0)
                }
            }
        }
        wait(for: [closed], timeout: 5)
        guard case .failed(let error)? = reason.value else { return XCTFail("\(String(describing: reason.value))") }
        XCTAssertTrue(["EPIPE", "ECONNRESET"].contains(error.name), "\(error)")
        XCTAssertEqual(loopThread.stop(), 0)
    }
}
