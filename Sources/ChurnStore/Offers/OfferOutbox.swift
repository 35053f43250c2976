import CSQLite
import Foundation

/// The retention-offer outbox in the history database: every offer ever drafted, queued or sent,
/// unique by (customer, run, template), plus the opt-out list and the key that signs unsubscribe
/// links.
///
/// Its tables are created on first use (`CREATE TABLE IF NOT EXISTS`) and are not part of the
/// numbered schema. Several processes (the CLI, the dashboard) may use one file: every state change
/// is one statement or one `BEGIN IMMEDIATE` transaction, and a message being sent is held by a
/// lease, so two deliverers never send the same message at once.
public final class OfferOutbox: @unchecked Sendable {
    public let store: RunStore
    private var db: SQLiteConnection { store.db }

    public init(store: RunStore) throws {
        self.store = store
        try store.locked {
            try store.db.execute("""
                CREATE TABLE IF NOT EXISTS offer_outbox (
                    id              INTEGER PRIMARY KEY,
                    customer_id     TEXT    NOT NULL,
                    run_id          INTEGER NOT NULL,
                    template        TEXT    NOT NULL,
                    recipient       TEXT,
                    subject         TEXT    NOT NULL,
                    message         TEXT    NOT NULL,
                    message_id      TEXT    NOT NULL,
                    status          TEXT    NOT NULL
                        CHECK (status IN ('draft', 'queued', 'sending', 'sent', 'failed', 'suppressed')),
                    reason          TEXT,
                    attempts        INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at REAL    NOT NULL,
                    lease_until     REAL,
                    created_at      REAL    NOT NULL,
                    updated_at      REAL    NOT NULL,
                    sent_at         REAL,
                    UNIQUE (customer_id, run_id, template)
                );
                CREATE INDEX IF NOT EXISTS offer_outbox_by_status ON offer_outbox (status, next_attempt_at);
                CREATE TABLE IF NOT EXISTS offer_optouts (
                    email       TEXT PRIMARY KEY,      -- lower case
                    customer_id TEXT,
                    recorded_at REAL NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS offer_settings (
                    name  TEXT PRIMARY KEY,
                    value BLOB NOT NULL
                ) WITHOUT ROWID;
                """, "create offer outbox")
        }
    }

    static var columnList: String { columns }
    static func decodeRow(_ s: SQLiteStatement) -> OutboxMessage { row(s) }

    private static let columns = """
        id, customer_id, run_id, template, recipient, subject, message, message_id, status, reason, attempts,
        next_attempt_at, created_at, updated_at, sent_at
        """

    private static func row(_ s: SQLiteStatement) -> OutboxMessage {
        OutboxMessage(
            id: s.int64(0), customerId: s.text(1), runId: s.int64(2), template: s.text(3), recipient: s.optionalText(4),
            subject: s.text(5), message: s.text(6), messageId: s.text(7),
            status: OutboxStatus(rawValue: s.text(8)) ?? .failed, reason: s.optionalText(9), attempts: Int(s.int64(10)),
            nextAttemptAt: Date(timeIntervalSince1970: s.double(11)), createdAt: Date(timeIntervalSince1970: s.double(12)),
            updatedAt: Date(timeIntervalSince1970: s.double(13)),
            sentAt: s.optionalDouble(14).map { Date(timeIntervalSince1970: $0) })
    }

    private func transaction<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        try store.locked {
            try db.execute("BEGIN IMMEDIATE", operation)
            do {
                let value = try body()
                try db.execute("COMMIT", operation)
                return value
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Stores an offer unless one with the same customer, run and template exists. A new offer is
    /// `suppressed` when it has no recipient, when the address opted out, or when the customer was
    /// offered something else (queued, being sent or sent) less than `cooldown` seconds ago;
    /// otherwise `queued`, or `draft` when `asDraft`.
    public func enqueue(_ offer: NewOffer, asDraft: Bool = false, cooldown: TimeInterval, now: Date = Date()) throws
        -> EnqueueOutcome
    {
        try transaction("queue offer for \(offer.customerId)") {
            let find = try db.prepare("SELECT \(Self.columns) FROM offer_outbox WHERE customer_id = ? AND run_id = ? AND template = ?",
                                      "find offer")
            find.bind(1, offer.customerId)
            find.bind(2, offer.runId)
            find.bind(3, offer.template)
            if try find.step() { return .duplicate(Self.row(find)) }

            let reason = try suppressionLocked(offer.customerId, recipient: offer.recipient, cooldown: cooldown, now: now)
            let status: OutboxStatus = reason != nil ? .suppressed : (asDraft ? .draft : .queued)
            let insert = try db.prepare("""
                INSERT INTO offer_outbox (customer_id, run_id, template, recipient, subject, message, message_id, status,
                                          reason, attempts, next_attempt_at, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                """, "insert offer")
            insert.bind(1, offer.customerId)
            insert.bind(2, offer.runId)
            insert.bind(3, offer.template)
            insert.bind(4, offer.recipient)
            insert.bind(5, offer.subject)
            insert.bind(6, offer.message)
            insert.bind(7, offer.messageId)
            insert.bind(8, status.rawValue)
            insert.bind(9, reason)
            insert.bind(10, now.timeIntervalSince1970)
            insert.bind(11, now.timeIntervalSince1970)
            insert.bind(12, now.timeIntervalSince1970)
            try insert.run()
            return .stored(try messageLocked(db.lastInsertRowID)!)
        }
    }

    private static func day(_ t: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        return f.string(from: Date(timeIntervalSince1970: t))
    }

    /// Why an offer to this customer may not be sent now, or nil: no address, opted out, or another
    /// offer (queued, being sent or sent) less than `cooldown` seconds ago. `excluding` is the
    /// message being decided on, when it is already stored.
    private func suppressionLocked(_ customerId: String, recipient: String?, cooldown: TimeInterval, now: Date,
                                   excluding: Int64? = nil) throws -> String? {
        guard let email = recipient else { return "no e-mail address" }
        if try optedOutLocked(email) { return "opted out" }
        guard cooldown > 0 else { return nil }
        let recent = try db.prepare("""
            SELECT id, created_at FROM offer_outbox
            WHERE customer_id = ? AND status IN ('queued', 'sending', 'sent') AND created_at > ? AND id != ?
            ORDER BY created_at DESC LIMIT 1
            """, "check cooldown")
        recent.bind(1, customerId)
        recent.bind(2, now.timeIntervalSince1970 - cooldown)
        recent.bind(3, excluding ?? -1)
        guard try recent.step() else { return nil }
        return "cooldown: offer #\(recent.int64(0)) was made on \(Self.day(recent.double(1)))"
    }

    /// Sends a saved draft: queues it, with the subject and message of `edited` when given (the
    /// modal's latest text), unless the address opted out or another offer was made within
    /// `cooldown` since the draft was saved; then it is `suppressed` with the reason. Returns the
    /// message as it now is, or nil when `id` is not a draft.
    public func queueDraft(id: Int64, edited: NewOffer? = nil, cooldown: TimeInterval, now: Date = Date()) throws -> OutboxMessage? {
        try transaction("queue draft \(id)") {
            guard let draft = try messageLocked(id), draft.status == .draft else { return nil }
            let reason = try suppressionLocked(draft.customerId, recipient: draft.recipient, cooldown: cooldown, now: now, excluding: id)
            let s = try db.prepare("""
                UPDATE offer_outbox SET status = ?, reason = ?, subject = ?, message = ?, message_id = ?, updated_at = ?,
                                        next_attempt_at = ?
                WHERE id = ? AND status = 'draft'
                """, "queue draft \(id)")
            s.bind(1, (reason == nil ? OutboxStatus.queued : .suppressed).rawValue)
            s.bind(2, reason)
            s.bind(3, edited?.subject ?? draft.subject)
            s.bind(4, edited?.message ?? draft.message)
            s.bind(5, edited?.messageId ?? draft.messageId)
            s.bind(6, now.timeIntervalSince1970)
            s.bind(7, now.timeIntervalSince1970)
            s.bind(8, id)
            try s.run()
            return try messageLocked(id)
        }
    }

    /// Returns to the queue every message left in `sending` whose lease ran out: the process that
    /// claimed it stopped (crashed or was killed) before recording the outcome. The SMTP server may or
    /// may not have accepted it, so it is sent again (at-least-once) with the same `Message-ID`.
    @discardableResult
    public func releaseExpiredLeases(now: Date = Date()) throws -> Int {
        try store.locked {
            let s = try db.prepare("""
                UPDATE offer_outbox SET status = 'queued', lease_until = NULL, updated_at = ?,
                    reason = 'interrupted while sending; sent again (the server may have received it once already)'
                WHERE status = 'sending' AND lease_until < ?
                """, "release expired leases")
            s.bind(1, now.timeIntervalSince1970)
            s.bind(2, now.timeIntervalSince1970)
            try s.run()
            return db.changes
        }
    }

    /// Claims the oldest queued message due by `dueBy`: it becomes `sending`, held for `lease` seconds,
    /// and its attempt count goes up. Nil when nothing is due.
    public func claimNext(dueBy: Date, lease: TimeInterval, now: Date = Date()) throws -> OutboxMessage? {
        try store.locked {
            let s = try db.prepare("""
                UPDATE offer_outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1, updated_at = ?
                WHERE id = (SELECT id FROM offer_outbox WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY id LIMIT 1)
                RETURNING \(Self.columns)
                """, "claim offer")
            s.bind(1, now.timeIntervalSince1970 + lease)
            s.bind(2, now.timeIntervalSince1970)
            s.bind(3, dueBy.timeIntervalSince1970)
            guard try s.step() else { return nil }
            let m = Self.row(s)
            try s.run()
            return m
        }
    }

    /// Records the outcome of sending a message this process claimed.
    public func markSent(id: Int64, now: Date = Date()) throws {
        try update(id, "status = 'sent', sent_at = ?1, reason = NULL", now: now)
    }

    public func markFailed(id: Int64, reason: String, now: Date = Date()) throws {
        try update(id, "status = 'failed', reason = ?2", now: now, reason: reason)
    }

    public func markSuppressed(id: Int64, reason: String, now: Date = Date()) throws {
        try update(id, "status = 'suppressed', reason = ?2", now: now, reason: reason)
    }

    /// Back to the queue after a temporary failure, not to be tried before `nextAttemptAt`.
    public func markRetry(id: Int64, reason: String, nextAttemptAt: Date, now: Date = Date()) throws {
        try update(id, "status = 'queued', reason = ?2, next_attempt_at = ?3", now: now, reason: reason, next: nextAttemptAt)
    }

    private func update(_ id: Int64, _ set: String, now: Date, reason: String? = nil, next: Date? = nil) throws {
        try store.locked {
            let s = try db.prepare("UPDATE offer_outbox SET \(set), lease_until = NULL, updated_at = ?1 WHERE id = ?4",
                                   "update offer \(id)")
            s.bind(1, now.timeIntervalSince1970)
            s.bind(2, reason)
            s.bind(3, next?.timeIntervalSince1970)
            s.bind(4, id)
            try s.run()
        }
    }

    /// Messages with this status (all when nil), newest first.
    public func list(status: OutboxStatus? = nil, limit: Int = 1000) throws -> [OutboxMessage] {
        try store.locked {
            let s = try db.prepare("SELECT \(Self.columns) FROM offer_outbox WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2",
                                   "list offers")
            s.bind(1, status?.rawValue)
            s.bind(2, limit)
            var out: [OutboxMessage] = []
            while try s.step() { out.append(Self.row(s)) }
            return out
        }
    }

    /// Counts per status.
    public func counts() throws -> [OutboxStatus: Int] {
        try store.locked {
            let s = try db.prepare("SELECT status, count(*) FROM offer_outbox GROUP BY status", "count offers")
            var out: [OutboxStatus: Int] = [:]
            while try s.step() { if let st = OutboxStatus(rawValue: s.text(0)) { out[st] = Int(s.int64(1)) } }
            return out
        }
    }

    public func message(id: Int64) throws -> OutboxMessage? {
        try store.locked { try messageLocked(id) }
    }

    private func messageLocked(_ id: Int64) throws -> OutboxMessage? {
        let s = try db.prepare("SELECT \(Self.columns) FROM offer_outbox WHERE id = ?", "read offer \(id)")
        s.bind(1, id)
        return try s.step() ? Self.row(s) : nil
    }

    /// Records that `email` wants no more offers. Idempotent.
    public func optOut(email: String, customerId: String?, now: Date = Date()) throws {
        try store.locked {
            let s = try db.prepare("INSERT OR IGNORE INTO offer_optouts (email, customer_id, recorded_at) VALUES (?, ?, ?)",
                                   "record opt-out")
            s.bind(1, email.lowercased())
            s.bind(2, customerId)
            s.bind(3, now.timeIntervalSince1970)
            try s.run()
        }
    }

    public func isOptedOut(email: String) throws -> Bool {
        try store.locked { try optedOutLocked(email) }
    }

    private func optedOutLocked(_ email: String) throws -> Bool {
        let s = try db.prepare("SELECT 1 FROM offer_optouts WHERE email = ?", "check opt-out")
        s.bind(1, email.lowercased())
        return try s.step()
    }

    /// The key that signs unsubscribe links: 32 random bytes made on first use and kept in the
    /// database, so that the CLI that sends and the dashboard that records the opt-out agree.
    public func signingKey() throws -> [UInt8] {
        try transaction("read unsubscribe key") {
            let read = try db.prepare("SELECT value FROM offer_settings WHERE name = 'unsubscribe_key'", "read unsubscribe key")
            if try read.step() { return Array(read.blob(0)) }
            var rng = SystemRandomNumberGenerator()
            let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let write = try db.prepare("INSERT INTO offer_settings (name, value) VALUES ('unsubscribe_key', ?)", "store unsubscribe key")
            try key.withUnsafeBytes { bytes in
                write.bindStatic(1, bytes)
                try write.run()
            }
            return key
        }
    }
}

extension OfferOutbox {
    /// When the earliest queued message is due; nil when nothing is queued.
    public func nextAttempt() throws -> Date? {
        try store.locked {
            let s = try store.db.prepare("SELECT min(next_attempt_at) FROM offer_outbox WHERE status = 'queued'", "next attempt")
            guard try s.step(), !s.isNull(0) else { return nil }
            return Date(timeIntervalSince1970: s.double(0))
        }
    }

    /// Makes every queued message due now: an operator's `deliver` after an outage does not wait out
    /// the back-off.
    public func makeQueuedDue(now: Date = Date()) throws {
        try store.locked {
            let s = try store.db.prepare("UPDATE offer_outbox SET next_attempt_at = ? WHERE status = 'queued' AND next_attempt_at > ?",
                                         "make queue due")
            s.bind(1, now.timeIntervalSince1970)
            s.bind(2, now.timeIntervalSince1970)
            try s.run()
        }
    }
}

extension OfferOutbox {
    /// One customer's offers, newest first.
    public func list(customerId: String, limit: Int = 100) throws -> [OutboxMessage] {
        try store.locked {
            let s = try store.db.prepare("SELECT \(Self.columnList) FROM offer_outbox WHERE customer_id = ? ORDER BY id DESC LIMIT ?",
                                         "list offers of a customer")
            s.bind(1, customerId)
            s.bind(2, limit)
            var out: [OutboxMessage] = []
            while try s.step() { out.append(Self.decodeRow(s)) }
            return out
        }
    }
}
