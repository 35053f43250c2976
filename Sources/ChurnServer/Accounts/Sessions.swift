import ChurnStore
import Foundation

/// Browser sessions, kept in the account store (so a restart of `churn serve` signs nobody out): a
/// random cookie value, stored only as its SHA-256, → who signed in, with an idle expiry (no request
/// for `idle` seconds) and an absolute one (`lifetime` seconds after sign-in). Each session has its
/// own CSRF token. A session's last use is written at most every `touchInterval` seconds, not on
/// every request.
final class Sessions: Sendable {
    typealias Session = AccountStore.Session

    let store: AccountStore
    let idle: TimeInterval
    let lifetime: TimeInterval
    /// How stale the stored last use may get before a request writes it again: a tenth of `idle`,
    /// at most a minute. An idle expiry is exact to within this.
    let touchInterval: TimeInterval

    init(store: AccountStore, idle: TimeInterval, lifetime: TimeInterval) {
        self.store = store
        self.idle = idle
        self.lifetime = lifetime
        touchInterval = min(60, idle / 10)
    }

    /// Starts a session; returns the cookie value and the session's CSRF token. Expired sessions
    /// are forgotten at the same time.
    func create(userId: Int64, now: Date = Date()) throws -> (cookie: String, csrf: String) {
        let cookie = Accounts.randomSecret(), csrf = Accounts.randomSecret()
        try store.removeSessions(lastSeenBefore: now.addingTimeInterval(-idle), createdBefore: now.addingTimeInterval(-lifetime))
        try store.addSession(hash: Accounts.tokenHash(cookie), Session(userId: userId, csrf: csrf, createdAt: now, lastSeen: now))
        return (cookie, csrf)
    }

    /// The live session of a cookie value, its last use moved to `now`; nil (and forgotten) once expired.
    func session(_ cookie: String, now: Date = Date()) throws -> Session? {
        let key = Accounts.tokenHash(cookie)
        guard var session = try store.session(hash: key) else { return nil }
        if now.timeIntervalSince(session.lastSeen) > idle || now.timeIntervalSince(session.createdAt) > lifetime {
            try store.removeSession(hash: key)
            return nil
        }
        if now.timeIntervalSince(session.lastSeen) >= touchInterval {
            try store.touchSession(hash: key, at: now)
            session.lastSeen = now
        }
        return session
    }

    /// Ends the session of a cookie value (signing out).
    func end(_ cookie: String) throws {
        try store.removeSession(hash: Accounts.tokenHash(cookie))
    }
}
