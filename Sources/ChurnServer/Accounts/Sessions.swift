import Foundation

/// Browser sessions, in memory: a random cookie value (kept only as its SHA-256) → who signed in,
/// with an idle expiry (no request for `idle` seconds) and an absolute one (`lifetime` seconds
/// after sign-in). Each session has its own CSRF token. A restart signs everybody out.
final class Sessions: @unchecked Sendable {
    struct Session: Sendable {
        var userId: Int64
        var csrf: String
        var created: Date
        var lastSeen: Date
    }

    let idle: TimeInterval
    let lifetime: TimeInterval
    private var byHash: [String: Session] = [:]
    private let lock = NSLock()

    init(idle: TimeInterval, lifetime: TimeInterval) {
        self.idle = idle
        self.lifetime = lifetime
    }

    /// Starts a session; returns the cookie value and the session's CSRF token.
    func create(userId: Int64, now: Date = Date()) -> (cookie: String, csrf: String) {
        let cookie = Accounts.randomSecret(), csrf = Accounts.randomSecret()
        lock.withLock {
            if byHash.count > 10_000 { byHash = byHash.filter { !expired($0.value, now) } }
            byHash[Accounts.tokenHash(cookie)] = Session(userId: userId, csrf: csrf, created: now, lastSeen: now)
        }
        return (cookie, csrf)
    }

    /// The live session of a cookie value, its last use moved to `now`; nil (and forgotten) once expired.
    func session(_ cookie: String, now: Date = Date()) -> Session? {
        let key = Accounts.tokenHash(cookie)
        return lock.withLock {
            guard var s = byHash[key] else { return nil }
            if expired(s, now) { byHash[key] = nil; return nil }
            s.lastSeen = now
            byHash[key] = s
            return s
        }
    }

    func end(_ cookie: String) {
        let key = Accounts.tokenHash(cookie)
        lock.withLock { byHash[key] = nil }
    }

    private func expired(_ s: Session, _ now: Date) -> Bool {
        now.timeIntervalSince(s.lastSeen) > idle || now.timeIntervalSince(s.created) > lifetime
    }
}
