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

    /// The admin token requests carry unless told otherwise (made with `churn tokens create`).
    var token: String?

    /// Starts `churn serve --listen 127.0.0.1:0` and waits for its "listening on" line. With
    /// `admin`, first creates (through the CLI) an admin account and a token that requests send.
    /// Without a model, no `--model` is passed (the server then uses the registry's champion).
    init(model: String?, dataDir: URL, extra: [String] = [], admin: Bool = true) throws {
        self.dataDir = dataDir
        if admin {
            if try TestAccounts.users(dataDir).contains("admin") == false {
                try TestAccounts.add(dataDir, "admin", role: "admin")
            }
            token = try TestAccounts.token(dataDir, user: "admin").token
        }
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
    /// How a request authenticates: the server's admin token, another bearer token, a session
    /// cookie (with its CSRF token), or nothing.
    enum Credentials {
        case adminToken, none
        case bearer(String)
        case session(cookie: String, csrf: String?)
    }

    /// One request, waiting for the whole answer. Redirects are not followed; cookies are sent only
    /// as given.
    func request(_ method: String, _ path: String, body: Data? = nil, bodyFile: URL? = nil, contentType: String? = nil,
                 as credentials: Credentials = .adminToken, headers: [String: String] = [:], timeout: TimeInterval = 120) throws -> Reply {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        switch credentials {
        case .adminToken: if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        case .none: break
        case .bearer(let t): request.setValue("Bearer \(t)", forHTTPHeaderField: "Authorization")
        case .session(let cookie, let csrf):
            request.setValue("churn_session=\(cookie)", forHTTPHeaderField: "Cookie")
            if let csrf { request.setValue(csrf, forHTTPHeaderField: "X-CSRF-Token") }
        }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let bodyFile { request.httpBody = try Data(contentsOf: bodyFile) } else { request.httpBody = body }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reply: Reply?
        nonisolated(unsafe) var failure: Error?
        let task = Self.session.dataTask(with: request) { data, response, error in
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

    func get(_ path: String, as credentials: Credentials = .adminToken) throws -> Reply { try request("GET", path, as: credentials) }

    /// No cookie store and no redirects followed: each test sees exactly what the server answered.
    private static let session: URLSession = {
        let config = URLSessionConfiguration.ephemeral
        config.httpShouldSetCookies = false
        config.httpCookieStorage = nil
        return URLSession(configuration: config, delegate: NoRedirects(), delegateQueue: nil)
    }()

    /// Signs in through the form: GET /login for the form's CSRF value, then POST it. Returns the
    /// reply and the session cookie (nil when refused).
    func signIn(_ user: String, _ password: String) throws -> (reply: Reply, cookie: String?, csrf: String?) {
        let form = try get("/login", as: .none)
        let loginCookie = try XCTUnwrap(Self.cookie("churn_login", form.headers["set-cookie"]), "no churn_login cookie: \(form.headers)")
        let value = try XCTUnwrap(Self.hiddenField("csrf", form.text))
        func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
        let body = "csrf=\(enc(value))&username=\(enc(user))&password=\(enc(password))&next=%2F"
        let r = try request("POST", "/login", body: Data(body.utf8), contentType: "application/x-www-form-urlencoded", as: .none,
                            headers: ["Cookie": "churn_login=\(loginCookie)"])
        guard r.status == 303, let cookie = Self.cookie("churn_session", r.headers["set-cookie"]) else { return (r, nil, nil) }
        let page = try get("/", as: .session(cookie: cookie, csrf: nil))
        let csrf = page.text.range(of: "<meta name=\"csrf-token\" content=\"").map { String(page.text[$0.upperBound...].prefix { $0 != "\"" }) }
        return (r, cookie, csrf)
    }

    /// A cookie's value in a (possibly comma-joined) Set-Cookie header.
    static func cookie(_ name: String, _ header: String?) -> String? {
        guard let header, let range = header.range(of: name + "=") else { return nil }
        return String(header[range.upperBound...].prefix { $0 != ";" && $0 != "," })
    }

    static func hiddenField(_ name: String, _ html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

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

/// Refuses every redirect, so that 303s reach the test.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// Accounts made the way an operator makes them: through `churn users` and `churn tokens`.
enum TestAccounts {
    static let password = "correct horse battery staple"

    static func add(_ dataDir: URL, _ name: String, role: String, password: String = password) throws {
        let r = try ChurnBinary.run(["users", "add", name, "--role", role, "--password-stdin", "--data-dir", dataDir.path], stdin: password + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    static func users(_ dataDir: URL) throws -> [String] {
        let r = try ChurnBinary.run(["users", "list", "--data-dir", dataDir.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
    }

    /// A new token: its id (from `tokens list --json`) and the token (the last line of stdout).
    static func token(_ dataDir: URL, user: String, extra: [String] = []) throws -> (id: Int, token: String) {
        let r = try ChurnBinary.run(["tokens", "create", "--user", user, "--label", "test", "--data-dir", dataDir.path] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        let token = try XCTUnwrap(r.stdout.split(separator: "\n").last.map(String.init))
        let list = try ChurnBinary.run(["tokens", "list", "--json", "--data-dir", dataDir.path])
        let objects = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        let id = try XCTUnwrap(objects.last?["id"] as? Int)
        return (id, token)
    }
}
