import ChurnTransport
import Foundation
import XCTest

/// Prints loopback throughput of 1 MiB writes between two loops on two threads. Asserts only correctness
/// of the byte count; the figure is for the report (build configuration matters: see the printed line).
final class ThroughputTests: XCTestCase {
    func testSinkThroughputOf1MiBWrites() throws {
        let total = 1 << 30  // 1 GiB
        let (seconds, received) = try runSink(total: total, echo: false)
        XCTAssertEqual(received, total)
        let rate = Double(total) / seconds / 1e6
        print(String(format: "throughput (sink): %.0f MB/s, 1 GiB in 1 MiB writes, %.2f s", rate, seconds))
    }

    func testEchoThroughputOf1MiBWrites() throws {
        let total = 256 << 20
        let (seconds, received) = try runSink(total: total, echo: true)
        XCTAssertEqual(received, total)
        let rate = Double(total) / seconds / 1e6
        print(String(format: "throughput (echo, each way): %.0f MB/s, 256 MiB in 1 MiB writes, %.2f s", rate, seconds))
    }

    /// Client writes `total` bytes in 1 MiB arrays, keeping at most 8 MiB queued; the server counts
    /// (or echoes, and the client counts the echo).
    private func runSink(total: Int, echo: Bool) throws -> (Double, Int) {
        let serverThread = try LoopThread()
        let clientThread = try LoopThread()
        let done = expectation(description: "done")
        let received = Box(0)
        let port = try serverThread.sync {
            try TCPListener.bind(loop: serverThread.loop, host: "127.0.0.1", port: 0) { connection in
                connection.onRead = { bytes in
                    if echo {
                        connection.write(Array(bytes))
                        if connection.writeQueueSize > 8 << 20 { connection.pauseReading() }
                    } else {
                        received.value += bytes.count
                        if received.value == total { done.fulfill() }
                    }
                }
                connection.onDrained = { connection.resumeReading() }
                connection.onClose = { _ in }
            }.port
        }
        let chunk = patternBytes(seed: 9, count: 1 << 20)
        let started = Box(0.0)
        try clientThread.sync {
            TCPConnection.connect(loop: clientThread.loop, host: "127.0.0.1", port: port) { result in
                guard case .success(let connection) = result else { return XCTFail("\(result)") }
                var sent = 0
                func fill() {
                    while sent < total, connection.writeQueueSize < 8 << 20 {
                        connection.write(chunk)
                        sent += chunk.count
                    }
                }
                connection.onDrained = { fill() }
                connection.onRead = { bytes in
                    received.value += bytes.count
                    if received.value == total { done.fulfill() }
                }
                connection.onClose = { _ in }
                started.value = monotonicSeconds()
                fill()
            }
        }
        wait(for: [done], timeout: 60)
        let seconds = monotonicSeconds() - started.value
        XCTAssertEqual(clientThread.stop(), 0)
        XCTAssertEqual(serverThread.stop(), 0)
        return (seconds, received.value)
    }
}
