@testable import ChurnStore
import ChurnTesting
import Foundation
import Hummingbird
import XCTest
@testable import ChurnServer

/// The access table lists exactly the routes the router has, and its roles follow the contract;
/// the throttle and the sessions behave on a given clock.
final class AccessRulesTests: XCTestCase {
    func testEveryRegisteredRouteHasARuleAndEveryRuleARoute() throws {
        let router = DashboardServer.router(try ServerFixtures.dashboard())
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let declared = Set(AccessRules.all.map { "\($0.method.rawValue) \($0.path)" })
        XCTAssertEqual(AccessRules.all.count, declared.count, "a route is declared twice")
        XCTAssertEqual(registered.subtracting(declared).sorted(), [], "routes without a rule in AccessRules (they answer 403 to everybody)")
        XCTAssertEqual(declared.subtracting(registered).sorted(), [], "rules for routes the router does not have")
    }

    func testRolesFollowTheContract() {
        for rule in AccessRules.all {
            let key = "\(rule.method.rawValue) \(rule.path)"
            if rule.access == .anybody {
                // The unsubscribe page is the customer's, who has no account: its signed token is the credential.
                XCTAssertTrue(["GET /healthz", "GET /login", "POST /login", "GET /unsubscribe", "POST /unsubscribe"].contains(key)
                              || rule.path.hasPrefix("/static/"), "\(key) is open to anybody")
            } else if rule.method != .get, key != "POST /logout" {
                XCTAssertNotEqual(rule.access, .atLeast(.viewer), "\(key) changes state but a viewer may call it")
            }
        }
        XCTAssertEqual(AccessRules.access(method: .get, path: "/audit"), .atLeast(.admin))
        XCTAssertEqual(AccessRules.access(method: .post, path: "/api/v1/runs"), .atLeast(.analyst))
        XCTAssertNil(AccessRules.access(method: .get, path: "/not-a-route"))
        XCTAssertTrue(Role.viewer < .analyst && Role.analyst < .admin)
    }

    func testThrottleBacksOffAfterFiveFailuresPerAccountAndAddress() {
        let throttle = LoginThrottle(base: 30, maximum: 900)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<4 { throttle.failed(user: "ann", address: "10.0.0.1", now: t0.addingTimeInterval(Double(i))) }
        XCTAssertNil(throttle.wait(user: "ann", address: "10.0.0.1", now: t0.addingTimeInterval(4)), "4 failures do not block")
        throttle.failed(user: "ann", address: "10.0.0.1", now: t0.addingTimeInterval(4))
        XCTAssertEqual(throttle.wait(user: "ann", address: "10.0.0.9", now: t0.addingTimeInterval(4)), 30, "the account waits from anywhere")
        XCTAssertEqual(throttle.wait(user: "bob", address: "10.0.0.1", now: t0.addingTimeInterval(4)), 30, "the address waits for any account")
        XCTAssertNil(throttle.wait(user: "bob", address: "10.0.0.9", now: t0.addingTimeInterval(4)))
        XCTAssertNil(throttle.wait(user: "ann", address: "10.0.0.1", now: t0.addingTimeInterval(35)), "the wait ends")
        throttle.failed(user: "ann", address: "10.0.0.1", now: t0.addingTimeInterval(35))
        XCTAssertEqual(throttle.wait(user: "ANN", address: "10.0.0.2", now: t0.addingTimeInterval(35)), 60, "the back-off doubles; names ignore case")
        throttle.succeeded(user: "ann", address: "10.0.0.1")
        XCTAssertNil(throttle.wait(user: "ann", address: "10.0.0.1", now: t0.addingTimeInterval(36)))
    }

    /// A store with users 7, 8 and 9 (sessions refer to users).
    private func sessionStore() throws -> AccountStore {
        let store = try AccountStore(path: ScratchDirectory.make("sessions").appendingPathComponent("history.sqlite").path)
        for name in ["u7", "u8", "u9"] { try store.addUser(name: name, role: "viewer", passwordHash: "-") }
        XCTAssertEqual(try store.users().map(\.id), [1, 2, 3])
        return store
    }

    func testSessionsEndWhenIdleOrTooOld() throws {
        let store = try sessionStore()
        let sessions = Sessions(store: store, idle: 60, lifetime: 300)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        let s = try sessions.create(userId: 1, now: t0)
        XCTAssertEqual(try sessions.session(s.cookie, now: t0.addingTimeInterval(50))?.userId, 1)
        XCTAssertEqual(try sessions.session(s.cookie, now: t0.addingTimeInterval(100))?.csrf, s.csrf, "use keeps it alive")
        XCTAssertNil(try sessions.session(s.cookie, now: t0.addingTimeInterval(161)), "idle for 61 s")
        XCTAssertNil(try sessions.session(s.cookie, now: t0.addingTimeInterval(100)), "an ended session stays ended")
        let old = try sessions.create(userId: 2, now: t0)
        for step in 1...5 { XCTAssertNotNil(try sessions.session(old.cookie, now: t0.addingTimeInterval(Double(step) * 55))) }
        XCTAssertNil(try sessions.session(old.cookie, now: t0.addingTimeInterval(301)), "past its lifetime")
        let ended = try sessions.create(userId: 3, now: t0)
        try sessions.end(ended.cookie)
        XCTAssertNil(try sessions.session(ended.cookie, now: t0))
        XCTAssertNil(try sessions.session("made-up", now: t0))
        XCTAssertNil(try store.session(hash: Accounts.tokenHash(s.cookie)), "expired sessions are removed from the store")
    }

    func testSessionsOutliveARestartButNotAPasswordChangeOrTheUser() throws {
        let store = try sessionStore()
        let t0 = Date()
        let first = Sessions(store: store, idle: 600, lifetime: 3600)
        let kept = try first.create(userId: 1, now: t0), other = try first.create(userId: 2, now: t0)
        XCTAssertNil(try store.session(hash: kept.cookie), "the store holds the cookie's hash, never the cookie")

        // A restart: a new server process opens the same file.
        let restarted = Sessions(store: try AccountStore(path: store.path), idle: 600, lifetime: 3600)
        XCTAssertEqual(try restarted.session(kept.cookie, now: t0.addingTimeInterval(30))?.csrf, kept.csrf)

        // `churn users passwd` in another process signs the user out everywhere, and only them.
        let accounts = Accounts(store: try AccountStore(path: store.path), bcryptCost: 4)
        try accounts.setPassword(name: "u7", password: "a-new-password")
        XCTAssertNil(try restarted.session(kept.cookie, now: t0.addingTimeInterval(40)))
        XCTAssertNotNil(try restarted.session(other.cookie, now: t0.addingTimeInterval(40)))
        XCTAssertEqual(try accounts.audit(since: t0.addingTimeInterval(-1)).last?.detail, "u7 (1 session ended)")

        // Removing a user removes their sessions with them.
        try accounts.removeUser(name: "u8")
        XCTAssertNil(try store.session(hash: Accounts.tokenHash(other.cookie)))
    }

    func testSessionLastUseIsWrittenAtMostEveryTouchInterval() throws {
        let store = try sessionStore()
        let sessions = Sessions(store: store, idle: 100, lifetime: 3600)
        XCTAssertEqual(sessions.touchInterval, 10)
        let t0 = Date(timeIntervalSince1970: 2_000_000)
        let s = try sessions.create(userId: 1, now: t0)
        let key = Accounts.tokenHash(s.cookie)
        _ = try sessions.session(s.cookie, now: t0.addingTimeInterval(9))
        XCTAssertEqual(try store.session(hash: key)?.lastSeen, t0, "9 s later: not written")
        _ = try sessions.session(s.cookie, now: t0.addingTimeInterval(10))
        XCTAssertEqual(try store.session(hash: key)?.lastSeen, t0.addingTimeInterval(10), "10 s later: written")
    }

    func testATokenIsActiveUntilItExpiresOrIsRevoked() {
        let t0 = Date(timeIntervalSince1970: 3_000_000)
        var token = AccountStore.Token(id: 1, userId: 1, userName: "u", label: "", createdAt: t0, expiresAt: t0.addingTimeInterval(60), revokedAt: nil)
        XCTAssertEqual(token.state(at: t0.addingTimeInterval(59)), .active)
        XCTAssertEqual(token.state(at: t0.addingTimeInterval(60)), .expired, "expired from its expiry on")
        token.expiresAt = nil
        XCTAssertEqual(token.state(at: .distantFuture), .active)
        token.revokedAt = t0
        XCTAssertEqual(token.state(at: t0), .revoked)
    }

    func testSafeRedirectsAndFormFields() {
        XCTAssertEqual(AccountRoutes.safeNext("/runs/3?top=5"), "/runs/3?top=5")
        for bad in ["//evil.example", "https://evil.example", "/\\evil", "runs", nil] { XCTAssertEqual(AccountRoutes.safeNext(bad), "/") }
        XCTAssertEqual(FormFields.parse("a=1&b=x+y%26z&c"), ["a": "1", "b": "x y&z", "c": ""])
        XCTAssertTrue(constantTimeEquals("abc", "abc"))
        XCTAssertFalse(constantTimeEquals("abc", "abd"))
        XCTAssertFalse(constantTimeEquals("abc", "abcd"))
    }
}
