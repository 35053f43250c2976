import CSQLite
import Foundation

/// Dashboard accounts, browser sessions, API tokens and the audit log, in the same SQLite file as
/// the run history.
///
/// The tables are created with `CREATE TABLE IF NOT EXISTS` when a store opens, beside the history's
/// own schema; they do not take part in the history's `user_version` migrations. The store keeps
/// only what it is given: password hashes, token hashes and session-cookie hashes are made by the
/// caller (ChurnServer's `Accounts` and `Sessions`), never the secrets themselves. Thread-safe: one connection behind a lock.
public final class AccountStore: @unchecked Sendable {
    /// The database file.
    public let path: String
    private let db: SQLiteConnection
    private let lock = NSLock()

    public init(path: String, busyTimeoutMilliseconds: Int32 = 10_000) throws {
        self.path = path
        db = try SQLiteConnection(path: path)
        sqlite3_busy_timeout(db.handle, busyTimeoutMilliseconds)
        _ = try db.scalarText("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA foreign_keys = ON", "configure connection")
        try db.execute(Self.tables, "create account tables")
    }

    static let tables = """
        CREATE TABLE IF NOT EXISTS users (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            name          TEXT    NOT NULL UNIQUE,
            role          TEXT    NOT NULL,
            password_hash TEXT    NOT NULL,              -- bcrypt, "$2b$..."
            created_at    REAL    NOT NULL
        );
        CREATE TABLE IF NOT EXISTS api_tokens (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            label       TEXT    NOT NULL,
            token_hash  TEXT    NOT NULL UNIQUE,         -- SHA-256 of the token, hex
            created_at  REAL    NOT NULL,
            expires_at  REAL,
            revoked_at  REAL
        );
        CREATE TABLE IF NOT EXISTS audit_log (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            at       REAL    NOT NULL,                   -- Unix time, seconds
            actor    TEXT    NOT NULL,                   -- user name, "-" when nobody signed in
            action   TEXT    NOT NULL,                   -- e.g. "sign-in", "sign-in failed", "POST /api/v1/runs"
            detail   TEXT    NOT NULL,
            address  TEXT    NOT NULL                    -- client address, or "cli"
        );
        CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (at);
        CREATE TABLE IF NOT EXISTS sessions (
            token_hash  TEXT    PRIMARY KEY,             -- SHA-256 of the session cookie, hex
            user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            csrf        TEXT    NOT NULL,                -- the session's CSRF token
            created_at  REAL    NOT NULL,                -- sign-in, Unix time
            last_seen   REAL    NOT NULL                 -- last request (updated at most every few seconds)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id);
        """

    // MARK: Users

    /// One account.
    public struct User: Equatable, Sendable {
        public var id: Int64
        public var name: String
        public var role: String
        public var passwordHash: String
        public var createdAt: Date
    }

    /// Adds a user; throws `AccountStoreError.exists` when the name is taken.
    @discardableResult
    public func addUser(name: String, role: String, passwordHash: String, at date: Date = Date()) throws -> Int64 {
        try locked {
            if try userLocked(sql: "name = ?", bind: { $0.bind(1, name) }) != nil { throw AccountStoreError.exists(name) }
            let s = try db.prepare("INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)", "add user")
            s.bind(1, name); s.bind(2, role); s.bind(3, passwordHash); s.bind(4, date.timeIntervalSince1970)
            try s.run()
            return db.lastInsertRowID
        }
    }

    public func user(named name: String) throws -> User? {
        try locked { try userLocked(sql: "name = ?", bind: { $0.bind(1, name) }) }
    }

    public func user(id: Int64) throws -> User? {
        try locked { try userLocked(sql: "id = ?", bind: { $0.bind(1, id) }) }
    }

    /// Every user, by name.
    public func users() throws -> [User] {
        try locked {
            let s = try db.prepare("SELECT id, name, role, password_hash, created_at FROM users ORDER BY name", "list users")
            var out: [User] = []
            while try s.step() { out.append(Self.user(s)) }
            return out
        }
    }

    public func userCount() throws -> Int {
        try locked { Int(try db.scalarInt("SELECT count(*) FROM users")) }
    }

    /// Replaces a user's password hash; false when there is no such user.
    public func setPasswordHash(name: String, _ hash: String) throws -> Bool {
        try locked {
            let s = try db.prepare("UPDATE users SET password_hash = ? WHERE name = ?", "set password")
            s.bind(1, hash); s.bind(2, name)
            try s.run()
            return db.changes > 0
        }
    }

    /// Replaces a user's role; false when there is no such user, or when they are the last user
    /// with the role `keepingOneOf` (checked in the same statement, so two processes cannot both
    /// demote the last two).
    public func setRole(name: String, _ role: String, keepingOneOf kept: String? = nil) throws -> Bool {
        try locked {
            let s = try db.prepare("UPDATE users SET role = ? WHERE name = ?" + Self.notTheLast, "set role")
            s.bind(1, role); s.bind(2, name); s.bind(3, kept)
            try s.run()
            return db.changes > 0
        }
    }

    /// How many users have this role.
    public func userCount(role: String) throws -> Int {
        try locked {
            let s = try db.prepare("SELECT count(*) FROM users WHERE role = ?", "count users by role")
            s.bind(1, role)
            _ = try s.step()
            return Int(s.int64(0))
        }
    }

    /// Removes a user with their tokens and sessions; false when there is no such user, or when they
    /// are the last user with the role `keepingOneOf`.
    public func removeUser(name: String, keepingOneOf kept: String? = nil) throws -> Bool {
        try locked {
            let s = try db.prepare("DELETE FROM users WHERE name = ?" + Self.notTheLast, "remove user")
            s.bind(1, name); s.bind(2, kept)
            try s.run()
            return db.changes > 0
        }
    }

    /// `:kept`, bound last: the user does not have that role, or others have it too (NULL: no check).
    private static let notTheLast = " AND (:kept IS NULL OR role IS NOT :kept OR (SELECT count(*) FROM users WHERE role = :kept) > 1)"

    private func userLocked(sql: String, bind: (SQLiteStatement) -> Void) throws -> User? {
        let s = try db.prepare("SELECT id, name, role, password_hash, created_at FROM users WHERE \(sql)", "find user")
        bind(s)
        return try s.step() ? Self.user(s) : nil
    }

    private static func user(_ s: SQLiteStatement) -> User {
        User(id: s.int64(0), name: s.text(1), role: s.text(2), passwordHash: s.text(3), createdAt: Date(timeIntervalSince1970: s.double(4)))
    }

    // MARK: Sessions

    /// One browser session (its cookie's hash only).
    public struct Session: Equatable, Sendable {
        public var userId: Int64
        public var csrf: String
        public var createdAt: Date
        public var lastSeen: Date

        public init(userId: Int64, csrf: String, createdAt: Date, lastSeen: Date) {
            self.userId = userId; self.csrf = csrf; self.createdAt = createdAt; self.lastSeen = lastSeen
        }
    }

    /// Records a session under its cookie's hash.
    public func addSession(hash: String, _ session: Session) throws {
        try locked {
            let s = try db.prepare("INSERT INTO sessions (token_hash, user_id, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)", "add session")
            s.bind(1, hash); s.bind(2, session.userId); s.bind(3, session.csrf)
            s.bind(4, session.createdAt.timeIntervalSince1970); s.bind(5, session.lastSeen.timeIntervalSince1970)
            try s.run()
        }
    }

    /// The session with this cookie hash, expired or not.
    public func session(hash: String) throws -> Session? {
        try locked {
            let s = try db.prepare("SELECT user_id, csrf, created_at, last_seen FROM sessions WHERE token_hash = ?", "find session")
            s.bind(1, hash)
            guard try s.step() else { return nil }
            return Session(userId: s.int64(0), csrf: s.text(1), createdAt: Date(timeIntervalSince1970: s.double(2)),
                           lastSeen: Date(timeIntervalSince1970: s.double(3)))
        }
    }

    /// Moves a session's last use to `date`.
    public func touchSession(hash: String, at date: Date) throws {
        try locked {
            let s = try db.prepare("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", "touch session")
            s.bind(1, date.timeIntervalSince1970); s.bind(2, hash)
            try s.run()
        }
    }

    /// Ends one session.
    public func removeSession(hash: String) throws {
        try locked {
            let s = try db.prepare("DELETE FROM sessions WHERE token_hash = ?", "end session")
            s.bind(1, hash)
            try s.run()
        }
    }

    /// Ends every session of a user; returns how many there were.
    @discardableResult
    public func removeSessions(userId: Int64) throws -> Int {
        try locked {
            let s = try db.prepare("DELETE FROM sessions WHERE user_id = ?", "end user's sessions")
            s.bind(1, userId)
            try s.run()
            return db.changes
        }
    }

    /// Forgets sessions last used before `lastSeenBefore` or started before `createdBefore`.
    public func removeSessions(lastSeenBefore: Date, createdBefore: Date) throws {
        try locked {
            let s = try db.prepare("DELETE FROM sessions WHERE last_seen < ? OR created_at < ?", "forget expired sessions")
            s.bind(1, lastSeenBefore.timeIntervalSince1970); s.bind(2, createdBefore.timeIntervalSince1970)
            try s.run()
        }
    }

    // MARK: Tokens

    /// One API token (its hash only).
    public struct Token: Equatable, Sendable {
        public var id: Int64
        public var userId: Int64
        public var userName: String
        public var label: String
        public var createdAt: Date
        public var expiresAt: Date?
        public var revokedAt: Date?

        /// Whether a token can be used.
        public enum State: String, Sendable { case active, revoked, expired }

        /// Revoked, expired (from `expiresAt` on), or active: a bearer token is accepted only when active.
        public func state(at now: Date) -> State {
            revokedAt != nil ? .revoked : (expiresAt.map { $0 <= now } ?? false) ? .expired : .active
        }
    }

    /// Records a token by its hash and returns its id.
    public func addToken(userId: Int64, label: String, tokenHash: String, expiresAt: Date?, at date: Date = Date()) throws -> Int64 {
        try locked {
            let s = try db.prepare("INSERT INTO api_tokens (user_id, label, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)", "add token")
            s.bind(1, userId); s.bind(2, label); s.bind(3, tokenHash); s.bind(4, date.timeIntervalSince1970)
            if let expiresAt { s.bind(5, expiresAt.timeIntervalSince1970) } else { s.bindNull(5) }
            try s.run()
            return db.lastInsertRowID
        }
    }

    /// The token with this hash, revoked or not.
    public func token(hash: String) throws -> Token? {
        try locked {
            let s = try db.prepare(Self.tokenSelect + " WHERE t.token_hash = ?", "find token")
            s.bind(1, hash)
            return try s.step() ? Self.token(s) : nil
        }
    }

    /// Every token, oldest first.
    public func tokens() throws -> [Token] {
        try locked {
            let s = try db.prepare(Self.tokenSelect + " ORDER BY t.id", "list tokens")
            var out: [Token] = []
            while try s.step() { out.append(Self.token(s)) }
            return out
        }
    }

    /// Marks a token revoked; false when there is no such token or it was revoked already.
    public func revokeToken(id: Int64, at date: Date = Date()) throws -> Bool {
        try locked {
            let s = try db.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", "revoke token")
            s.bind(1, date.timeIntervalSince1970); s.bind(2, id)
            try s.run()
            return db.changes > 0
        }
    }

    private static let tokenSelect = """
        SELECT t.id, t.user_id, u.name, t.label, t.created_at, t.expires_at, t.revoked_at
        FROM api_tokens t JOIN users u ON u.id = t.user_id
        """

    private static func token(_ s: SQLiteStatement) -> Token {
        Token(id: s.int64(0), userId: s.int64(1), userName: s.text(2), label: s.text(3),
              createdAt: Date(timeIntervalSince1970: s.double(4)),
              expiresAt: s.isNull(5) ? nil : Date(timeIntervalSince1970: s.double(5)),
              revokedAt: s.isNull(6) ? nil : Date(timeIntervalSince1970: s.double(6)))
    }

    // MARK: Audit log

    /// One audit entry: who did what, when, from where.
    public struct AuditEntry: Equatable, Sendable {
        public var id: Int64
        public var at: Date
        public var actor: String
        public var action: String
        public var detail: String
        public var address: String

        public init(id: Int64 = 0, at: Date, actor: String, action: String, detail: String, address: String) {
            self.id = id; self.at = at; self.actor = actor; self.action = action; self.detail = detail; self.address = address
        }
    }

    public func appendAudit(_ entry: AuditEntry) throws {
        try locked {
            let s = try db.prepare("INSERT INTO audit_log (at, actor, action, detail, address) VALUES (?, ?, ?, ?, ?)", "append audit")
            s.bind(1, entry.at.timeIntervalSince1970); s.bind(2, entry.actor); s.bind(3, entry.action)
            s.bind(4, entry.detail); s.bind(5, entry.address)
            try s.run()
        }
    }

    /// Entries at or after `since`, oldest first, at most `limit` (the newest ones).
    public func audit(since: Date, limit: Int = 10_000) throws -> [AuditEntry] {
        try locked {
            let s = try db.prepare("""
                SELECT id, at, actor, action, detail, address FROM
                  (SELECT * FROM audit_log WHERE at >= ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, "read audit")
            s.bind(1, since.timeIntervalSince1970); s.bind(2, limit)
            var out: [AuditEntry] = []
            while try s.step() {
                out.append(AuditEntry(id: s.int64(0), at: Date(timeIntervalSince1970: s.double(1)), actor: s.text(2),
                                      action: s.text(3), detail: s.text(4), address: s.text(5)))
            }
            return out
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// What `AccountStore` refuses.
public enum AccountStoreError: Error, CustomStringConvertible, Equatable {
    case exists(String)

    public var description: String {
        switch self {
        case .exists(let name): return "a user named '\(name)' exists already"
        }
    }
}
