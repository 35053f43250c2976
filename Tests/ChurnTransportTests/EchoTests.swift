import ChurnTransport
import Foundation
import XCTest

/// Echo server on one loop, clients on another, each on its own thread.
final class EchoTests: XCTestCase {
    /// Starts an echo server that pauses reading from a peer while too much is queued back to it.
    static func startEchoServer(on loop: EventLoop, host: String) throws -> TCPListener {
        try TCPListener.bind(loop: loop, host: host, port: 0) { connection in
            connection.onRead = { bytes in
                connection.write(Array(bytes))
                if connection.writeQueueSize > 4 << 20 { connection.pauseReading() }
            }
            connection.onDrained = { connection.resumeReading() }
            connection.onClose = { _ in }
        }
    }

    func testConcurrentClientsEcho10MBEachInRandomSizeWrites() throws {
        let server = try LoopThread()
        let clients = try LoopThread()
        let port = try server.sync { try Self.startEchoServer(on: server.loop, host: "127.0.0.1").port }

        let clientCount = 4
        let size = 10 * 1024 * 1024
        let done = expectation(description: "all echoes verified")
        done.expectedFulfillmentCount = clientCount
        let failures = Box<[String]>([])
        let started = monotonicSeconds()

        try clients.sync {
            for c in 0..<clientCount {
                let data = patternBytes(seed: UInt64(c + 1), count: size)
                var received = 0
                TCPConnection.connect(loop: clients.loop, host: "127.0.0.1", port: port) { result in
                    guard case .success(let connection) = result else {
                        failures.value.append("client \(c): \(result)")
                        return done.fulfill()
                    }
                    connection.onRead = { bytes in
                        let ok = data.withUnsafeBytes { expected in
                            received + bytes.count <= size
                                && memcmp(expected.baseAddress! + received, bytes.baseAddress!, bytes.count) == 0
                        }
                        if !ok { failures.value.append("client \(c): mismatch at \(received)") }
                        received += bytes.count
                        if !ok || received == size { connection.close() }
                    }
                    connection.onClose = { reason in
                        if reason != .closedLocally { failures.value.append("client \(c): \(reason)") }
                        done.fulfill()
                    }
                    var rng = SeededGenerator(state: UInt64(c) &* 7919 &+ 17)
                    var offset = 0
                    while offset < size {
                        let n = min(Int.random(in: 1...65_536, using: &rng), size - offset)
                        if n % 3 == 0 && n > 1 {
                            // Sometimes as two buffers (header + payload style).
                            let half = offset + n / 2
                            connection.write(buffers: [Array(data[offset..<half]), Array(data[half..<offset + n])])
                        } else {
                            connection.write(Array(data[offset..<offset + n]))
                        }
                        offset += n
                    }
                }
            }
        }
        wait(for: [done], timeout: 60)
        let seconds = monotonicSeconds() - started
        XCTAssertEqual(failures.value, [])
        print("echo: \(clientCount) × 10 MB each way in \(String(format: "%.2f", seconds)) s")
        XCTAssertEqual(clients.stop(), 0)
        XCTAssertEqual(server.stop(), 0)
    }

    func testEchoOverIPv6Loopback() throws {
        let server = try LoopThread()
        defer { server.stop() }
        let listener: TCPListener
        do {
            listener = try server.sync { try Self.startEchoServer(on: server.loop, host: "::1") }
        } catch let error as TransportError where error.name == "EADDRNOTAVAIL" || error.name == "EAFNOSUPPORT" {
            throw XCTSkip("no IPv6 loopback here: \(error)")
        }
        XCTAssertEqual(try server.sync { listener.localAddress }, "[::1]:\(listener.port)")
        let answer = Box<[UInt8]>([])
        let peer = Box("")
        let done = expectation(description: "echoed")
        try server.sync {
            TCPConnection.connect(loop: server.loop, host: "::1", port: listener.port) { result in
                guard case .success(let connection) = result else { return XCTFail("\(result)") }
                peer.value = connection.peerAddress
                connection.onRead = { bytes in
                    answer.value += bytes
                    if answer.value.count == 5 { connection.close() }
                }
                connection.onClose = { _ in done.fulfill() }
                connection.write(Array("hello".utf8))
            }
        }
        wait(for: [done], timeout: 5)
        XCTAssertEqual(String(decoding: answer.value, as: UTF8.self), "hello")
        XCTAssertEqual(peer.value, "[::1]:\(listener.port)")
    }
}
