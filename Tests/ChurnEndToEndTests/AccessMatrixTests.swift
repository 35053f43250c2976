import Foundation
import XCTest

/// Every route × (anonymous, viewer, analyst, admin, revoked token, expired session), exact status.
/// The routes come from `churn serve --list-routes` (the server's own access table, which a unit
/// test holds equal to the router's routes), so a new route is in the matrix as soon as it exists.
final class AccessMatrixTests: XCTestCase {
    private enum Caller: String, CaseIterable {
        case anonymous, viewer, analyst, admin, revokedToken, expiredSession
        var role: Int? { [.viewer: 0, .analyst: 1, .admin: 2][self] }
    }

    private struct Rule { var method: String; var path: String; var access: String; var api: Bool }

    func testEveryRouteForEveryCaller() throws {
        let dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        let data = dir.appendingPathComponent("data")
        try TestAccounts.add(data, "vera", role: "viewer")
        try TestAccounts.add(data, "andy", role: "analyst")
        let server = try ServeProcess(model: model, dataDir: data, extra: ["--session-idle", "1s"])
        defer { server.stop() }
        let tokens: [Caller: String] = [
            .viewer: try TestAccounts.token(data, user: "vera").token,
            .analyst: try TestAccounts.token(data, user: "andy").token,
            .admin: try XCTUnwrap(server.token),
        ]
        let revoked = try TestAccounts.token(data, user: "admin")
        XCTAssertEqual(try ChurnBinary.run(["tokens", "revoke", String(revoked.id), "--data-dir", data.path]).status, 0)
        let expired = try XCTUnwrap(server.signIn("admin", TestAccounts.password).cookie)

        // A finished run and one of its customers, so that GET routes with ids reach real data.
        let runId = try server.upload(URL(fileURLWithPath: ChurnBinary.testCSV))
        XCTAssertEqual(try server.waitForRun(runId)["status"] as? String, "succeeded")
        let customer = try XCTUnwrap(String(decoding: try server.get("/api/v1/runs/\(runId)/results.csv").body, as: UTF8.self)
            .split(separator: "\n").dropFirst().first?.split(separator: ",").first.map(String.init))
        usleep(1_500_000)   // the admin's session is now idle for longer than --session-idle 1s

        let list = try ChurnBinary.run(["serve", "--list-routes"])
        XCTAssertEqual(list.status, 0, list.stderr)
        let rules = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]]).map {
            Rule(method: $0["method"] as! String, path: $0["path"] as! String, access: $0["access"] as! String, api: $0["api"] as! Bool)
        }
        XCTAssertGreaterThan(rules.count, 25)

        var failures: [String] = []
        for rule in rules {
            // GETs read real data; state-changing calls name a run or customer that does not exist
            // and send no body, so an allowed call is answered by the route without changing anything.
            let reads = rule.method == "GET"
            let path = rule.path
                .replacingOccurrences(of: "/runs/{id}", with: "/runs/\(reads ? String(runId) : "999999")")
                .replacingOccurrences(of: "/customers/{id}", with: "/customers/\(reads ? customer : "no-such-customer")")
            for caller in Caller.allCases {
                let credentials: ServeProcess.Credentials
                switch caller {
                case .anonymous: credentials = .none
                case .viewer, .analyst, .admin: credentials = .bearer(tokens[caller]!)
                case .revokedToken: credentials = .bearer(revoked.token)
                case .expiredSession: credentials = .session(cookie: expired, csrf: "whatever")
                }
                // An image is not an upload (415): nothing starts.
                let reply = try server.request(rule.method, path, body: reads ? nil : Data(), contentType: reads ? nil : "image/png",
                                               as: credentials, timeout: 30)
                let got = "\(reply.status)" + (reply.status == 303 ? " " + (reply.headers["location"] ?? "") : "")
                let expected = expectation(rule, caller, path: path)
                let refused = got == "401" || got == "403" || got.hasPrefix("303 /login?next=")
                let matches = expected == "any answer but a refusal" ? !refused
                    : expected.hasSuffix("*") ? got.hasPrefix(String(expected.dropLast())) : got == expected
                if !matches { failures.append("\(rule.method) \(path) as \(caller.rawValue): got \(got), expected \(expected)") }
            }
        }
        XCTAssertEqual(failures, [], failures.joined(separator: "\n"))
    }

    /// What a caller gets: refused callers are decided by the rule alone; allowed ones get the
    /// route's own answer (`allowed`), the same for every role that may call it.
    private func expectation(_ rule: Rule, _ caller: Caller, path: String) -> String {
        let key = "\(rule.method) \(rule.path)"
        if rule.access == "anybody" {
            if key == "GET /login", caller.role != nil { return "303 /" }   // signed in already
            return allowed[key] ?? "200"
        }
        let needed = ["viewer": 0, "analyst": 1, "admin": 2][rule.access]!
        guard let role = caller.role else {
            return rule.api ? "401" : "303 /login?next=*"
        }
        guard role >= needed else { return "403" }
        // A route added since (models, offers…): its refusals are still checked exactly above; add its
        // own answer to `allowed` to check that exactly too.
        return allowed[key] ?? "any answer but a refusal"
    }

    /// The answer of each route to an allowed caller, for the requests made above.
    private let allowed: [String: String] = [
        "GET /healthz": "200",
        "GET /metrics": "200",
        "GET /api/v1/openapi.json": "200",
        "POST /api/v1/runs": "415",
        "GET /api/v1/runs": "200",
        "GET /api/v1/runs/{id}": "200",
        "DELETE /api/v1/runs/{id}": "404",
        "POST /api/v1/runs/{id}/refresh": "404",
        "GET /api/v1/runs/{id}/results.csv": "200",
        "GET /api/v1/runs/{id}/summary.json": "200",
        "GET /api/v1/runs/{id}/report.html": "200",
        "GET /api/v1/runs/{id}/events": "200",
        "GET /api/v1/runs/{id}/customers": "200",
        "GET /api/v1/customers/{id}": "200",
        "POST /api/v1/customers/{id}/offers": "400",
        "GET /api/v1/cluster": "200",
        "POST /api/v1/predict": "400",
        "GET /": "200",
        "GET /runs": "200",
        "GET /runs/{id}": "200",
        "GET /runs/{id}/customers": "200",
        "GET /customers/{id}": "200",
        "GET /cluster": "200",
        "GET /login": "200",
        "POST /login": "403",
        "POST /logout": "303 /login",
        "GET /audit": "200",
        // The account forms refuse an empty form (no role, no password, no confirmation, no such
        // user or token) and change nothing.
        "GET /users": "200",
        "POST /users": "400",
        "POST /users/{name}/role": "400",
        "POST /users/{name}/password": "400",
        "POST /users/{name}/remove": "400",
        "POST /tokens": "400",
        "POST /tokens/{id}/revoke": "400",
        // The customer's unsubscribe link: public, its signed token is the credential (none here).
        "GET /unsubscribe": "400",
        "POST /unsubscribe": "400",
    ]
}
