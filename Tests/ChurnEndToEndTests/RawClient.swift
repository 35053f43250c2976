import ChurnWire
import Foundation
import XCTest

/// A bare TCP client for sending a worker whatever bytes a test wants (hostile ones included).
final class RawClient {
    let fd: Int32

    /// - Parameter source: a local address to connect from (another loopback address, say, to
    ///   look like another host).
    init(port: Int, source: String? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(fd)
                throw NSError(domain: "RawClient", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "bind to \(source) failed"])
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw NSError(domain: "RawClient", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "connect failed"])
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads until the peer closes (or `timeout` passes); returns what came and whether it closed.
    func readUntilClosed(timeout: TimeInterval = 5) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (out, true) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return (out, true)  // reset counts as closed
            }
            out += buffer[0..<n]
        }
        return (out, false)
    }

    /// The frames in `bytes` (flags included).
    static func frames(_ bytes: [UInt8]) -> [Frame] {
        var decoder = FrameDecoder()
        decoder.feed(bytes)
        var out: [Frame] = []
        while let frame = try? decoder.next() { out.append(frame) }
        return out
    }

    /// Reads until `count` whole frames have come (or `timeout` passes, or the peer closes).
    func readFrames(_ count: Int, timeout: TimeInterval = 5) -> [Frame] {
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let deadline = Date().addingTimeInterval(timeout)
        while frames.count < count && Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                break
            }
            decoder.feed(buffer[0..<n])
            while let frame = try? decoder.next() { frames.append(frame) }
        }
        return frames
    }

    /// Whether bytes are waiting to be read now (without waiting).
    var hasDataNow: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) > 0 && p.revents & Int16(POLLIN) != 0
    }

    /// The messages in `bytes`.
    static func messages(_ bytes: [UInt8]) -> [Message] {
        var decoder = FrameDecoder()
        decoder.feed(bytes)
        var out: [Message] = []
        while let frame = try? decoder.next(), let m = try? Message.decode(frame) { out.append(m) }
        return out
    }

    /// HELLO without a secret, as the first frame of a session.
    static func hello(versions: [UInt16] = [4]) -> [UInt8] {
        Message.hello(.init(versions: versions, clientName: "raw-test", clientNonce: .random())).encode(requestId: 1)
    }
}

extension RawClient {
    /// A connection to the worker on `port` through the handshake (the worker has no secret), and
    /// the protocol version the worker chose from `versions`.
    static func established(port: Int, source: String? = nil, versions: [UInt16] = [4]) throws -> (client: RawClient, version: UInt16) {
        let client = try RawClient(port: port, source: source)
        client.send(hello(versions: versions))
        let reply = client.readFrames(1)
        guard reply.count == 1, case let .helloOK(ok) = try Message.decode(reply[0]) else {
            throw NSError(domain: "RawClient", code: 1, userInfo: [NSLocalizedDescriptionKey: "no HELLO_OK: \(reply)"])
        }
        return (client, ok.version)
    }

    /// The model file's SHA-256, as LOAD_MODEL and SCORE_SHARD name it.
    static func modelHash(_ path: String) throws -> ModelHash {
        let r = try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/sha256sum"), [path])
        return ModelHash(hex: String(r.stdout.prefix(64)))!
    }

    /// Loads the model file at `path` and waits for MODEL_LOADED; its hash.
    func loadModel(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> ModelHash {
        let hash = try Self.modelHash(path)
        let json = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        send(Message.loadModel(.init(hash: hash, json: json)).encode(requestId: 2))
        let reply = readFrames(1, timeout: 30)
        XCTAssertEqual(reply.count, 1, file: file, line: line)
        if let frame = reply.first { XCTAssertEqual(try Message.decode(frame), .modelLoaded(.init(hash: hash)), file: file, line: line) }
        return hash
    }
}

extension RawClient {
    /// Asserts that the worker answered with one ERROR of `code`, flagged END_OF_STREAM, closed this
    /// connection, and that its process is still running.
    func assertRefusedAndClosed(with code: ErrorCode, _ worker: WorkerProcess, file: StaticString = #filePath, line: UInt = #line) {
        let (bytes, closed) = readUntilClosed()
        let frames = Self.frames(bytes)
        XCTAssertTrue(closed, "the connection stays open", file: file, line: line)
        XCTAssertEqual(frames.count, 1, "\(frames)", file: file, line: line)
        if let frame = frames.first, case let .error(e)? = try? Message.decode(frame) {
            XCTAssertEqual(e.code, code, e.message, file: file, line: line)
            XCTAssertEqual(frame.flags, .endOfStream, file: file, line: line)
        } else {
            XCTFail("no ERROR: \(frames)", file: file, line: line)
        }
        XCTAssertTrue(worker.process.isRunning, "the worker process ended", file: file, line: line)
    }
}
