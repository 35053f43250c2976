import Foundation
import XCTest

/// A real `churn worker` process on a free loopback port.
final class WorkerProcess: @unchecked Sendable {  // `stderrData` guarded by `lock`; the rest set in init
    let process = Process()
    let port: Int
    private let stderrPipe = Pipe()
    private var stderrData = Data()
    private let lock = NSLock()

    init(secretFile: String?, threads: Int = 1, extra: [String] = []) throws {
        process.executableURL = ChurnBinary.url
        process.arguments = ["worker", "--listen", "127.0.0.1:0", "--threads", String(threads), "--log-level", "info"]
            + (secretFile.map { ["--secret-file", $0] } ?? []) + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = stderrPipe
        try process.run()
        var line = Data()
        let handle = out.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0A { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let portText = text.split(separator: ":").last, let port = Int(portText) else {
            throw NSError(domain: "WorkerProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "worker printed '\(text)'"])
        }
        self.port = port
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock()
            self.stderrData.append(d)
            self.lock.unlock()
        }
    }

    var address: String { "127.0.0.1:\(port)" }

    var log: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: stderrData, as: UTF8.self)
    }

    /// Waits (up to `timeout`) until the worker's log contains `text`; the log arrives asynchronously.
    func logContains(_ text: String, timeout: TimeInterval = 3) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(text) { return true }
            usleep(20_000)
        }
        return log.contains(text)
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM and wait; returns the exit status.
    @discardableResult
    func terminate(timeout: TimeInterval = 20) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill9() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill9() } }

    static func secretFile(in dir: URL, secret: String = "test-secret-\(UUID().uuidString)") throws -> String {
        let path = dir.appendingPathComponent("secret").path
        FileManager.default.createFile(atPath: path, contents: Data((secret + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return path
    }
}
