import ChurnWire
import Foundation
import XCTest

/// The client side of item 10: the frames churn sends just before it closes a connection (GOODBYE
/// at the end, ERROR when it refuses a worker's handshake) carry END_OF_STREAM. A fake worker on a
/// real socket records what `churn cluster status` sends it.
final class ClientClosingFlagsTests: XCTestCase {
    /// Accepts one connection, answers HELLO with `helloOK` and STATS_REQUEST with STATS, and
    /// records every frame the client sends until it closes.
    private final class FakeWorker: @unchecked Sendable {  // `frames` written by its thread before `done` is signalled, read after
        let port: Int
        private let listener: Int32
        private var frames: [Frame] = []
        private let done = DispatchSemaphore(value: 0)

        init(version: UInt16) throws {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
                }
            }
            guard bound else { throw NSError(domain: "FakeWorker", code: Int(errno)) }
            port = Int(UInt16(bigEndian: address.sin_port))
            self.listener = listener
            Thread { [self] in
                let fd = accept(listener, nil, nil)
                defer { close(fd); done.signal() }
                var decoder = FrameDecoder()
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { return }
                    decoder.feed(buffer[0..<n])
                    while let frame = try? decoder.next() {
                        frames.append(frame)
                        let reply: Message?
                        switch try? Message.decode(frame) {
                        case .hello?:
                            reply = .helloOK(.init(version: version, workerName: "fake", maxFrameSize: 1 << 20, maxShardsInFlight: 1,
                                                   authRequired: false, serverNonce: .random()))
                        case .statsRequest?:
                            reply = .stats(.init(uptimeSeconds: 1, connections: 1, shardsScored: 0, rowsScored: 0, rowsRejected: 0,
                                                 errors: 0, queueDepth: 0, shardsInFlight: 0, modelHashes: [], workerThreads: 1,
                                                 protocolVersions: [1]))
                        default:
                            reply = nil
                        }
                        if let reply {
                            let bytes = reply.encode(requestId: frame.requestId)
                            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        }
                    }
                }
            }.start()
        }

        deinit { close(listener) }

        /// The frames the client sent, once it has closed the connection.
        func received() -> [Frame] {
            _ = done.wait(timeout: .now() + 10)
            return frames
        }
    }

    func testGoodbyeAtTheEndCarriesEndOfStream() throws {
        let worker = try FakeWorker(version: 3)
        let r = try ChurnBinary.run(["cluster", "status", "--workers", "127.0.0.1:\(worker.port)"], timeout: 30)
        XCTAssertEqual(r.status, 0, r.stderr)
        let last = worker.received().last
        XCTAssertEqual(last?.type, MessageType.goodbye.rawValue)
        XCTAssertEqual(last?.flags, .endOfStream)
    }

    func testRefusingAHandshakeSendsErrorWithEndOfStream() throws {
        let worker = try FakeWorker(version: 9)  // a version the client did not offer
        let r = try ChurnBinary.run(["cluster", "status", "--workers", "127.0.0.1:\(worker.port)"], timeout: 30)
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        let last = worker.received().last
        XCTAssertEqual(last?.type, MessageType.error.rawValue)
        XCTAssertEqual(last?.flags, .endOfStream)
        if let last, case let .error(e) = try Message.decode(last) { XCTAssertEqual(e.code, .unsupportedVersion) }
    }
}
