import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// A real `churn serve` process on a free port, and a small blocking HTTP client for it.
final class ServeProcess: @unchecked Sendable {  // `errText` guarded by `errLock`; the rest is set in init
    let process = Process()
    let dataDir: URL
    private(set) var base = ""
    private let stdout = Pipe(), stderr = Pipe()
    private var errText = Data()
    private let errLock = NSLock()

    /// Starts `churn serve --listen 127.0.0.1:0` and waits for its "listening on" line. Without a
    /// model, no `--model` is passed (the server then uses the registry's champion).
    init(model: String?, dataDir: URL, extra: [String] = []) throws {
        self.dataDir = dataDir
        process.executableURL = ChurnBinary.url
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir.path] + (model.map { ["--model", $0] } ?? []) + extra
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stderr.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.errLock.lock(); self.errText.append(d); self.errLock.unlock()
        }
        var line = Data()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
            let text = String(decoding: line, as: UTF8.self)
            if let range = text.range(of: "churn serve listening on ") {
                let rest = text[range.upperBound...]
                if let end = rest.firstIndex(of: "\n") {
                    base = String(rest[..<end])
                    return
                }
            }
        }
        process.terminate()
        throw NSError(domain: "ServeProcess", code: 1, userInfo: [NSLocalizedDescriptionKey: "churn serve did not start: \(log)"])
    }

    var log: String {
        errLock.lock(); defer { errLock.unlock() }
        return String(decoding: errText, as: UTF8.self)
    }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 60) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.interrupt(); kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    struct Reply {
        var status: Int
        var body: Data
        var headers: [String: String]
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
        func object() throws -> [String: Any] { try XCTUnwrap(try json() as? [String: Any], text) }
    }

    /// One request, waiting for the whole answer.
    func request(_ method: String, _ path: String, body: Data? = nil, bodyFile: URL? = nil, contentType: String? = nil,
                 timeout: TimeInterval = 120) throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let bodyFile { request.httpBody = try Data(contentsOf: bodyFile) } else { request.httpBody = body }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reply: Reply?
        nonisolated(unsafe) var failure: Error?
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { failure = error } else if let http = response as? HTTPURLResponse {
                var headers: [String: String] = [:]
                for (k, v) in http.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
                reply = Reply(status: http.statusCode, body: data ?? Data(), headers: headers)
            }
            done.signal()
        }
        task.resume()
        done.wait()
        if let failure { throw failure }
        return try XCTUnwrap(reply)
    }

    func get(_ path: String) throws -> Reply { try request("GET", path) }

    /// Polls a run until it leaves `running`; returns its final object.
    func waitForRun(_ id: Int64, timeout: TimeInterval = 300) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let run = try get("/api/v1/runs/\(id)").object()
            if run["status"] as? String != "running" { return run }
            usleep(100_000)
        }
        XCTFail("run \(id) still running after \(timeout) s")
        return [:]
    }

    /// Uploads a file as a raw body and returns the new run's id.
    func upload(_ file: URL, contentType: String = "text/csv", query: String = "") throws -> Int64 {
        let name = file.lastPathComponent.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let r = try request("POST", "/api/v1/runs?name=\(name)\(query.isEmpty ? "" : "&" + query)", bodyFile: file, contentType: contentType)
        XCTAssertEqual(r.status, 202, r.text)
        return try XCTUnwrap((try r.object())["id"] as? NSNumber).int64Value
    }
}
