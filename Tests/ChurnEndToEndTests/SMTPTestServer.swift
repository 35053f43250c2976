import Foundation
import XCTest

/// A real SMTP server on loopback for the offer tests: `scripts/py/smtp_test_server.py` (aiosmtpd),
/// on a free port, keeping accepted messages in a Maildir. Never listens beyond 127.0.0.1.
final class SMTPTestServer {
    let port: Int
    let maildir: URL
    private var process: Process?

    /// A free loopback port: bound, read back and released (the server or a "down" test uses it next).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    init(port: Int = SMTPTestServer.freePort(), maildir: URL) {
        self.port = port
        self.maildir = maildir
    }

    var url: String { "smtp://127.0.0.1:\(port)" }

    /// Starts the server and waits until it listens. `options`: `--tempfail N`, `--reject TEXT`, `--slow-data S`.
    func start(_ options: [String] = []) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", ChurnBinary.root.appendingPathComponent("scripts/py/smtp_test_server.py").path,
                       "--port", String(port), "--maildir", maildir.path] + options
        let out = Pipe()
        p.standardOutput = out
        // The server's own log (a refused TLS handshake prints a traceback) goes beside the Maildir.
        try FileManager.default.createDirectory(at: maildir, withIntermediateDirectories: true)
        let log = maildir.appendingPathComponent("server.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardError = try FileHandle(forWritingTo: log)
        try p.run()
        process = p
        let line = String(decoding: out.fileHandleForReading.availableDataOrLine(), as: UTF8.self)
        guard line.hasPrefix("ready") else {
            stop()
            throw NSError(domain: "SMTPTestServer", code: 1, userInfo: [NSLocalizedDescriptionKey: "server did not start: \(line)"])
        }
    }

    func stop() {
        guard let p = process else { return }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        process = nil
    }

    deinit { stop() }

    /// The replies the server logged (failures on demand and acceptances), in order.
    var replies: [String] {
        ((try? String(contentsOf: maildir.appendingPathComponent("replies.log"), encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    /// The messages received, decoded by Python's e-mail package (`scripts/py/maildir_json.py`).
    func messages() throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: maildir.appendingPathComponent("new").path) else { return [] }
        let r = try ChurnBinary.python([ChurnBinary.root.appendingPathComponent("scripts/py/maildir_json.py").path, maildir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
    }
}

private extension FileHandle {
    /// Reads until the first newline (or end of file).
    func availableDataOrLine() -> Data {
        var data = Data()
        while true {
            let chunk = readData(ofLength: 1)
            if chunk.isEmpty || chunk == Data([10]) { return data }
            data.append(chunk)
        }
    }
}
