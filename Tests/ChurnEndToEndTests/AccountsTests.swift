import Foundation
import XCTest

/// Accounts end to end: users and tokens made with the CLI, a real `churn serve`, and what it
/// refuses: first start on a public address, wrong CSRF tokens, password guessing, expired sessions,
/// revoked and expired tokens.
final class AccountsTests: XCTestCase {
    private var dir: URL!
    private var model = ""

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        model = try ChurnBinary.trainModel(in: dir)
    }

    func testFirstStartOnAPublicAddressWithoutUsersIsRefused() throws {
        let data = dir.appendingPathComponent("fresh")
        let r = try ChurnBinary.run(["serve", "--listen", "0.0.0.0:0", "--data-dir", data.path, "--model", model], timeout: 30)
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertTrue(r.stderr.contains("no accounts yet"), r.stderr)
        XCTAssertTrue(r.stderr.contains("churn users add admin --role admin --password-stdin --data-dir \(data.path)"), r.stderr)
        // With an account it starts on the same address.
        try TestAccounts.add(data, "root", role: "admin")
        let server = try ServeProcess(model: model, dataDir: data, extra: ["--listen", "0.0.0.0:0"], admin: false)
        XCTAssertEqual(server.stop(), 0)
    }

    func testUsersAndTokensThroughTheCLI() throws {
        let data = dir.appendingPathComponent("data")
        try TestAccounts.add(data, "vera", role: "viewer")
        let dup = try ChurnBinary.run(["users", "add", "vera", "--role", "viewer", "--password-stdin", "--data-dir", data.path], stdin: "another password\n")
        XCTAssertEqual(dup.status, 1)
        XCTAssertTrue(dup.stderr.contains("exists already"), dup.stderr)
        let short = try ChurnBinary.run(["users", "add", "bob", "--role", "viewer", "--password-stdin", "--data-dir", data.path], stdin: "short\n")
        XCTAssertEqual(short.status, 1)
        let badRole = try ChurnBinary.run(["users", "add", "bob", "--role", "root", "--password-stdin", "--data-dir", data.path], stdin: "long enough password\n")
        XCTAssertTrue(badRole.stderr.contains("not viewer, analyst or admin"), badRole.stderr)
        XCTAssertEqual(try TestAccounts.users(data), ["vera"])

        let made = try TestAccounts.token(data, user: "vera")
        XCTAssertTrue(made.token.hasPrefix("churn_") && made.token.count > 40, made.token)
        let list = try ChurnBinary.run(["tokens", "list", "--json", "--data-dir", data.path])
        let objects = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects.first?["user"] as? String, "vera")
        XCTAssertEqual(objects.first?["label"] as? String, "test")
        XCTAssertFalse(list.stdout.contains(made.token), "tokens list shows the token")
        // Only a hash is stored: the token's text is nowhere in the database files.
        for name in try FileManager.default.contentsOfDirectory(atPath: data.path) where name.hasPrefix("history.sqlite") {
            let bytes = try Data(contentsOf: data.appendingPathComponent(name))
            XCTAssertNil(bytes.range(of: Data(made.token.utf8)), "the token is stored in \(name)")
            XCTAssertNil(bytes.range(of: Data(TestAccounts.password.utf8)), "the password is stored in \(name)")
        }
        // Roles change; the only admin stays one.
        XCTAssertEqual(try ChurnBinary.run(["users", "role", "vera", "--role", "admin", "--data-dir", data.path]).status, 0)
        let demote = try ChurnBinary.run(["users", "role", "vera", "--role", "viewer", "--data-dir", data.path])
        XCTAssertEqual(demote.status, 1)
        XCTAssertTrue(demote.stderr.contains("only admin"), demote.stderr)
        let onlyAdmin = try ChurnBinary.run(["users", "remove", "vera", "--data-dir", data.path])
        XCTAssertEqual(onlyAdmin.status, 1)
        XCTAssertTrue(onlyAdmin.stderr.contains("only admin"), onlyAdmin.stderr)
        try TestAccounts.add(data, "root", role: "admin")
        XCTAssertEqual(try ChurnBinary.run(["users", "role", "vera", "--role", "viewer", "--data-dir", data.path]).status, 0)
        XCTAssertEqual(try ChurnBinary.run(["users", "list", "--data-dir", data.path]).stdout.split(separator: "\n")
            .map { $0.split(separator: "\t").prefix(2).joined(separator: " ") }, ["root admin", "vera viewer"])
        XCTAssertEqual(try ChurnBinary.run(["users", "remove", "root", "--data-dir", data.path]).status, 1, "root is the only admin now")
        // Passwords change; removed users are gone with their tokens.
        let passwd = try ChurnBinary.run(["users", "passwd", "vera", "--password-stdin", "--data-dir", data.path], stdin: "a brand new password\n")
        XCTAssertEqual(passwd.status, 0, passwd.stderr)
        XCTAssertEqual(try ChurnBinary.run(["users", "remove", "vera", "--data-dir", data.path]).status, 0)
        XCTAssertEqual(try TestAccounts.users(data), ["root"])
        let after = try ChurnBinary.run(["tokens", "list", "--json", "--data-dir", data.path])
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [Any])?.count, 0, after.stdout)
        let audit = try ChurnBinary.run(["audit", "--since", "1h", "--data-dir", data.path])
        for action in ["user added", "token created", "password changed", "user removed"] {
            XCTAssertTrue(audit.stdout.contains("\t\(action)\t"), "audit lacks \(action): \(audit.stdout)")
        }
    }

    func testSignInCookiesHeadersCSRFAndAudit() throws {
        let data = dir.appendingPathComponent("data")
        try TestAccounts.add(data, "andy", role: "analyst")
        let server = try ServeProcess(model: model, dataDir: data)
        defer { server.stop() }
        // Unknown user and wrong password: the same answer.
        let unknown = try server.signIn("nobody", "whatever password")
        let wrong = try server.signIn("andy", "not the password")
        XCTAssertEqual(unknown.reply.status, 401)
        XCTAssertEqual(wrong.reply.status, 401)
        XCTAssertTrue(unknown.reply.text.contains("Wrong user name or password."))
        XCTAssertEqual(unknown.reply.text.replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression),
                       wrong.reply.text.replacingOccurrences(of: #"value="[^"]*""#, with: "", options: .regularExpression))

        let signed = try server.signIn("andy", TestAccounts.password)
        XCTAssertEqual(signed.reply.status, 303)
        let cookie = try XCTUnwrap(signed.cookie), csrf = try XCTUnwrap(signed.csrf)
        let setCookie = try XCTUnwrap(signed.reply.headers["set-cookie"])
        XCTAssertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax"), setCookie)
        XCTAssertFalse(setCookie.contains("Secure"), "Secure on plain HTTP: \(setCookie)")

        // Security headers on pages and API answers.
        let page = try server.get("/", as: .session(cookie: cookie, csrf: nil))
        XCTAssertEqual(page.status, 200)
        for reply in [page, try server.get("/api/v1/runs"), try server.get("/login", as: .none)] {
            let csp = try XCTUnwrap(reply.headers["content-security-policy"])
            XCTAssertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), csp)
            XCTAssertEqual(reply.headers["x-content-type-options"], "nosniff")
        }

        // CSRF: a state-changing call with the session cookie needs the session's token.
        let path = "/api/v1/runs/999999/refresh"
        XCTAssertEqual(try server.request("POST", path, as: .session(cookie: cookie, csrf: nil)).status, 403)
        XCTAssertEqual(try server.request("POST", path, as: .session(cookie: cookie, csrf: "forged")).status, 403)
        XCTAssertEqual(try server.request("POST", path, as: .session(cookie: cookie, csrf: csrf)).status, 404, "the right token reaches the route")
        // The sign-in form needs its own CSRF value too.
        let noCSRF = try server.request("POST", "/login", body: Data("username=andy&password=x".utf8),
                                        contentType: "application/x-www-form-urlencoded", as: .none)
        XCTAssertEqual(noCSRF.status, 403)

        // An upload by the analyst is in the audit log: who, what, from where.
        let csv = try Data(contentsOf: URL(fileURLWithPath: ChurnBinary.testCSV))
        let up = try server.request("POST", "/api/v1/runs?name=test.csv", body: csv, contentType: "text/csv", as: .session(cookie: cookie, csrf: csrf))
        XCTAssertEqual(up.status, 202, up.text)
        // Sign-out (a form with the token as a field) ends the session.
        let out = try server.request("POST", "/logout", body: Data("csrf=\(csrf)".utf8), contentType: "application/x-www-form-urlencoded",
                                     as: .session(cookie: cookie, csrf: nil))
        XCTAssertEqual(out.status, 303)
        XCTAssertEqual(try server.get("/api/v1/runs", as: .session(cookie: cookie, csrf: nil)).status, 401)
        let audit = try ChurnBinary.run(["audit", "--data-dir", data.path])
        let lines = audit.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("\tandy\t127.0.0.1\tPOST /api/v1/runs\t/api/v1/runs → /api/v1/runs/") }, audit.stdout)
        XCTAssertTrue(lines.contains { $0.contains("\tnobody\t127.0.0.1\tsign-in failed\t") }, audit.stdout)
        XCTAssertTrue(lines.contains { $0.contains("\tandy\t127.0.0.1\tsign-in\t") }, audit.stdout)
        XCTAssertTrue(lines.contains { $0.contains("\tandy\t127.0.0.1\tsign-out\t") }, audit.stdout)
        let auditPage = try server.get("/audit")
        XCTAssertEqual(auditPage.status, 200)
        XCTAssertTrue(auditPage.text.contains("sign-in failed"))
    }

    func testFiveFailuresThrottleTheAccountAndTheAddress() throws {
        let data = dir.appendingPathComponent("data")
        try TestAccounts.add(data, "andy", role: "analyst")
        try TestAccounts.add(data, "vera", role: "viewer")
        let server = try ServeProcess(model: model, dataDir: data, extra: ["--login-backoff", "10m"])
        defer { server.stop() }
        for i in 1...5 {
            XCTAssertEqual(try server.signIn("andy", "guess number \(i)").reply.status, 401, "attempt \(i)")
        }
        // Now even the right password waits, with a Retry-After; so does another account from this address.
        let refused = try server.signIn("andy", TestAccounts.password)
        XCTAssertEqual(refused.reply.status, 429)
        XCTAssertNil(refused.cookie)
        let retry = try XCTUnwrap(Int(refused.reply.headers["retry-after"] ?? ""))
        XCTAssertTrue((590...600).contains(retry), "Retry-After \(retry)")
        XCTAssertEqual(try server.signIn("vera", TestAccounts.password).reply.status, 429)
        // API tokens are not throttled by password failures.
        XCTAssertEqual(try server.get("/api/v1/runs").status, 200)
    }

    func testSessionsExpireWhenIdleAndAfterTheirLifetime() throws {
        let data = dir.appendingPathComponent("data")
        let server = try ServeProcess(model: model, dataDir: data, extra: ["--session-idle", "1s", "--session-lifetime", "3s"])
        defer { server.stop() }
        // Idle: unused for longer than 1 s.
        let idle = try XCTUnwrap(server.signIn("admin", TestAccounts.password).cookie)
        XCTAssertEqual(try server.get("/runs", as: .session(cookie: idle, csrf: nil)).status, 200)
        usleep(1_600_000)
        let page = try server.get("/runs", as: .session(cookie: idle, csrf: nil))
        XCTAssertEqual(page.status, 303)
        XCTAssertEqual(page.headers["location"], "/login?next=%2Fruns")
        XCTAssertEqual(try server.get("/api/v1/runs", as: .session(cookie: idle, csrf: nil)).status, 401)
        // Lifetime: in use every 0.5 s, still over after 3 s.
        let busy = try XCTUnwrap(server.signIn("admin", TestAccounts.password).cookie)
        var statuses: [Int] = []
        for _ in 0..<8 {
            statuses.append(try server.get("/api/v1/runs", as: .session(cookie: busy, csrf: nil)).status)
            usleep(500_000)
        }
        XCTAssertEqual(statuses.first, 200)
        XCTAssertEqual(statuses.last, 401, "\(statuses)")
        XCTAssertEqual(statuses.filter { $0 == 200 }.count + statuses.filter { $0 == 401 }.count, 8)
        XCTAssertEqual(statuses, statuses.sorted { $0 < $1 }, "a session came back after it ended: \(statuses)")
    }

    func testASessionOutlivesARestartButNotAPasswordChange() throws {
        let data = dir.appendingPathComponent("data")
        let first = try ServeProcess(model: model, dataDir: data)
        let signedIn = try first.signIn("admin", TestAccounts.password)
        let cookie = try XCTUnwrap(signedIn.cookie), csrf = try XCTUnwrap(signedIn.csrf)
        XCTAssertEqual(try first.get("/runs", as: .session(cookie: cookie, csrf: nil)).status, 200)
        XCTAssertEqual(first.stop(), 0)

        // A new server process on the same data directory knows the session and its CSRF token.
        let second = try ServeProcess(model: model, dataDir: data)
        defer { second.stop() }
        XCTAssertEqual(try second.get("/runs", as: .session(cookie: cookie, csrf: nil)).status, 200)
        let page = try second.get("/", as: .session(cookie: cookie, csrf: nil))
        XCTAssertTrue(page.text.contains("<meta name=\"csrf-token\" content=\"\(csrf)\""), "the session's CSRF token changed")

        // `churn users passwd`, from another process, signs the user out at once.
        let passwd = try ChurnBinary.run(["users", "passwd", "admin", "--password-stdin", "--data-dir", data.path], stdin: "a brand new password\n")
        XCTAssertEqual(passwd.status, 0, passwd.stderr)
        XCTAssertEqual(try second.get("/runs", as: .session(cookie: cookie, csrf: nil)).status, 303)
        XCTAssertEqual(try second.get("/api/v1/runs", as: .session(cookie: cookie, csrf: nil)).status, 401)
        XCTAssertNotNil(try second.signIn("admin", "a brand new password").cookie)
    }

    func testRevokedExpiredAndRemovedUsersTokensAnswer401() throws {
        let data = dir.appendingPathComponent("data")
        try TestAccounts.add(data, "andy", role: "analyst")
        let server = try ServeProcess(model: model, dataDir: data)
        defer { server.stop() }
        let token = try TestAccounts.token(data, user: "andy")
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer(token.token)).status, 200)
        XCTAssertEqual(try ChurnBinary.run(["tokens", "revoke", String(token.id), "--data-dir", data.path]).status, 0)
        let revoked = try server.get("/api/v1/runs", as: .bearer(token.token))
        XCTAssertEqual(revoked.status, 401, "a revoked token still works")
        XCTAssertEqual(revoked.headers["www-authenticate"]?.hasPrefix("Bearer"), true)

        let short = try TestAccounts.token(data, user: "andy", extra: ["--expires", "1s"])
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer(short.token)).status, 200)
        usleep(1_200_000)
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer(short.token)).status, 401, "an expired token still works")

        let other = try TestAccounts.token(data, user: "andy")
        XCTAssertEqual(try ChurnBinary.run(["users", "remove", "andy", "--data-dir", data.path]).status, 0)
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer(other.token)).status, 401, "a removed user's token still works")
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer("churn_made-up")).status, 401)
    }

    func testBehindAProxyTheClientAddressAndSchemeComeFromItsHeaders() throws {
        let data = dir.appendingPathComponent("data")
        let headers = ["X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"]
        // Without --behind-proxy the headers are ignored: anybody could send them.
        var server = try ServeProcess(model: model, dataDir: data)
        XCTAssertEqual(try server.request("GET", "/login", as: .none, headers: headers).headers["set-cookie"]?.contains("Secure"), false)
        let csv = try Data(contentsOf: URL(fileURLWithPath: ChurnBinary.testCSV))
        XCTAssertEqual(try server.request("POST", "/api/v1/runs?name=test.csv", body: csv, contentType: "text/csv", headers: headers).status, 202)
        let before = try ChurnBinary.run(["audit", "--data-dir", data.path]).stdout
        XCTAssertTrue(before.contains("\tadmin\t127.0.0.1\tPOST /api/v1/runs\t") && !before.contains("203.0.113.9"), before)
        server.stop()
        server = try ServeProcess(model: model, dataDir: data, extra: ["--behind-proxy"])
        defer { server.stop() }
        XCTAssertEqual(try server.request("GET", "/login", as: .none, headers: headers).headers["set-cookie"]?.contains("; Secure"), true)
        XCTAssertEqual(try server.request("POST", "/api/v1/runs?name=test.csv", body: csv, contentType: "text/csv", headers: headers).status, 202)
        let audit = try ChurnBinary.run(["audit", "--data-dir", data.path]).stdout
        XCTAssertTrue(audit.contains("\tadmin\t203.0.113.9\tPOST /api/v1/runs\t"), "the proxy's client address is not logged: \(audit)")
    }

    func testHTTPSWithTLSCertAndKeyGivesSecureCookies() throws {
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/openssl"),
                                              ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                               "-days", "1", "-subj", "/CN=127.0.0.1"])
        XCTAssertEqual(made.status, 0, made.stderr)
        let data = dir.appendingPathComponent("data")
        let server = try ServeProcess(model: model, dataDir: data, extra: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        XCTAssertTrue(server.base.hasPrefix("https://"), server.base)
        // curl, trusting exactly this certificate: the health check, then the sign-in cookie.
        func curl(_ args: [String]) throws -> ChurnBinary.Result {
            try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--cacert", cert] + args, timeout: 30)
        }
        XCTAssertEqual(try curl([server.base + "/healthz"]).stdout, "ok\n")
        let jar = dir.appendingPathComponent("jar").path
        let form = try curl(["-c", jar, server.base + "/login"]).stdout
        let csrf = try XCTUnwrap(ServeProcess.hiddenField("csrf", form))
        let login = try curl(["-b", jar, "-D", "-", "-o", "/dev/null", "--data-urlencode", "csrf=\(csrf)", "--data-urlencode", "username=admin",
                              "--data-urlencode", "password=\(TestAccounts.password)", server.base + "/login"]).stdout
        XCTAssertTrue(login.hasPrefix("HTTP/1.1 303"), login)
        let session = try XCTUnwrap(login.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: churn_session=") })
        XCTAssertTrue(session.contains("; Secure") && session.contains("HttpOnly"), String(session))
        // Plain HTTP to the TLS port gets no answer.
        let plain = try curl(["-o", "/dev/null", "-w", "%{http_code}", server.base.replacingOccurrences(of: "https://", with: "http://") + "/healthz"])
        XCTAssertEqual(plain.stdout, "000")
    }
}

/// An admin manages users and tokens in the browser's forms (`/users`), with what `churn users` and
/// `churn tokens` see afterwards, and the refusals: the only admin, a wrong confirmation, a missing
/// CSRF token, a non-admin.
final class UserAdminPageTests: XCTestCase {
    func testAnAdminManagesUsersAndTokensThroughTheForms() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let data = dir.appendingPathComponent("data")
        let server = try ServeProcess(model: model, dataDir: data)
        defer { server.stop() }
        let admin = try server.signIn("admin", TestAccounts.password)
        let cookie = try XCTUnwrap(admin.cookie), csrf = try XCTUnwrap(admin.csrf)
        func post(_ path: String, _ fields: [String: String], csrf sent: String? = nil) throws -> ServeProcess.Reply {
            func enc(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
            let body = (fields.merging(["csrf": sent ?? csrf]) { a, _ in a }).map { "\(enc($0))=\(enc($1))" }.joined(separator: "&")
            return try server.request("POST", path, body: Data(body.utf8), contentType: "application/x-www-form-urlencoded",
                                      as: .session(cookie: cookie, csrf: nil))
        }
        func users() throws -> [String] {
            try ChurnBinary.run(["users", "list", "--data-dir", data.path]).stdout.split(separator: "\n")
                .map { $0.split(separator: "\t").prefix(2).joined(separator: " ") }
        }

        let page = try server.get("/users", as: .session(cookie: cookie, csrf: nil))
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("<a href=\"/users\" class=\"active\">Users</a>"), "no Users link for an admin")
        XCTAssertTrue(page.text.contains("<tr data-user=\"admin\">"), page.text)

        // Add, refuse a bad name, change a role.
        let added = try post("/users", ["name": "ana", "role": "analyst", "password": "ana's long password"])
        XCTAssertEqual(added.status, 303)
        XCTAssertEqual(added.headers["location"]?.hasPrefix("/users?message="), true)
        XCTAssertEqual(try users(), ["admin admin", "ana analyst"])
        let bad = try post("/users", ["name": "<script>", "role": "viewer", "password": "long enough password"])
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("user name &#39;&lt;script&gt;&#39;"), bad.text)
        XCTAssertEqual(try post("/users/ana/role", ["role": "viewer"]).status, 303)
        XCTAssertEqual(try users(), ["admin admin", "ana viewer"])

        // A viewer may not open the page; a new password ends ana's session.
        let ana = try XCTUnwrap(try server.signIn("ana", "ana's long password").cookie)
        XCTAssertEqual(try server.get("/users", as: .session(cookie: ana, csrf: nil)).status, 403)
        XCTAssertEqual(try post("/users/ana/password", ["password": "another long password"]).status, 303)
        XCTAssertEqual(try server.get("/runs", as: .session(cookie: ana, csrf: nil)).status, 303, "ana's session outlived her password")
        XCTAssertNotNil(try server.signIn("ana", "another long password").cookie)

        // A token, shown once, works with ana's role until it is revoked.
        let made = try post("/tokens", ["user": "ana", "label": "nightly export", "expires": "30d"])
        XCTAssertEqual(made.status, 200)
        XCTAssertEqual(made.headers["cache-control"], "no-store")
        let token = try XCTUnwrap(made.text.range(of: "<code id=\"new-token\">").map { String(made.text[$0.upperBound...].prefix { $0 != "<" }) })
        XCTAssertTrue(token.hasPrefix("churn_"), token)
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer(token)).status, 200)
        XCTAssertEqual(try server.get("/api/v1/cluster", as: .bearer(token)).status, 403, "the token acts as a viewer")
        let listed = try server.get("/users", as: .session(cookie: cookie, csrf: nil)).text
        XCTAssertFalse(listed.contains(token), "the page shows the token again")
        let id = try XCTUnwrap(listed.range(of: "nightly export").flatMap { r in
            listed[..<r.lowerBound].components(separatedBy: "<tr data-token=\"").last?.prefix { $0 != "\"" } })
        XCTAssertEqual(try post("/tokens/\(id)/revoke", [:]).status, 303)
        XCTAssertEqual(try server.get("/api/v1/runs", as: .bearer(token)).status, 401)

        // Refusals: the only admin, a wrong confirmation, no CSRF token.
        let lastAdmin = try post("/users/admin/role", ["role": "analyst"])
        XCTAssertEqual(lastAdmin.status, 400)
        XCTAssertTrue(lastAdmin.text.contains("only admin"), lastAdmin.text)
        XCTAssertEqual(try post("/users/admin/remove", ["confirm": "admin"]).status, 400)
        XCTAssertEqual(try post("/users/ana/remove", ["confirm": "anna"]).status, 400)
        XCTAssertEqual(try post("/users/ana/remove", ["confirm": "ana"], csrf: "forged").status, 403)
        XCTAssertEqual(try users(), ["admin admin", "ana viewer"])
        XCTAssertEqual(try post("/users/ana/remove", ["confirm": "ana"]).status, 303)
        XCTAssertEqual(try users(), ["admin admin"])

        let audit = try ChurnBinary.run(["audit", "--since", "1h", "--data-dir", data.path]).stdout
        for action in ["user added", "role changed", "password changed", "token created", "token revoked", "user removed"] {
            XCTAssertTrue(audit.contains(action), "no '\(action)' in the audit log:\n\(audit)")
        }
        XCTAssertFalse(audit.contains("another long password"), "a password reached the audit log")
    }
}
