import ChurnStore
import Foundation

/// Delivers the outbox: claims each due message, checks the opt-out list once more, sends it,
/// and records the outcome — sent, failed with the server's text (5xx, or too many attempts), or
/// back in the queue with exponential back-off (no connection, timeout, 4xx).
///
/// Guarantee: at-least-once at the SMTP handoff. A message is marked `sent` only after the server's
/// 250 to DATA; a process that dies between that reply and the mark leaves it in `sending`, and
/// once its lease runs out the next delivery sends it again with the same `Message-ID`. The
/// (customer, run, template) key keeps a second offer from ever being queued.
public final class OfferDelivery {
    /// What a delivery pass did.
    public struct Tally: Equatable, Sendable {
        public var sent = 0
        public var failed = 0
        public var suppressed = 0
        /// Attempts that failed for now and were put back in the queue.
        public var retried = 0
        /// Still queued when the pass ended.
        public var leftQueued = 0
    }

    private let outbox: OfferOutbox
    private let envelopeFrom: String
    private let transport: (OutboxMessage) -> SMTPOutcome
    private let policy: RetryPolicy
    private var limiter: RateLimiter
    private let lease: TimeInterval
    private let log: (String) -> Void

    /// - Parameters:
    ///   - transport: sends one message; `SMTPClient.send` in production.
    ///   - lease: how long a claimed message is held before another deliverer may take it over; longer
    ///     than one send can take.
    public init(outbox: OfferOutbox, envelopeFrom: String, policy: RetryPolicy, perMinute: Double, lease: TimeInterval = 600,
                log: @escaping (String) -> Void = { _ in }, transport: @escaping (OutboxMessage) -> SMTPOutcome) {
        self.outbox = outbox
        self.envelopeFrom = envelopeFrom
        self.transport = transport
        self.policy = policy
        self.limiter = RateLimiter(perMinute: perMinute)
        self.lease = lease
        self.log = log
    }

    /// Delivers every message due now, and keeps retrying those that fail for now for up to
    /// `patience` seconds (waiting out each back-off). Messages still failing then stay queued.
    public func run(patience: TimeInterval) throws -> Tally {
        var tally = Tally()
        let released = try outbox.releaseExpiredLeases()
        if released > 0 { log("\(released) message(s) left in sending by a stopped process: queued again") }
        let deadline = Date().addingTimeInterval(patience)
        while true {
            while let m = try outbox.claimNext(dueBy: Date(), lease: lease) {
                try deliver(m, &tally)
            }
            guard let next = try outbox.nextAttempt(), next <= deadline else { break }
            let wait = next.timeIntervalSinceNow
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        tally.leftQueued = try outbox.counts()[.queued] ?? 0
        return tally
    }

    private func deliver(_ m: OutboxMessage, _ tally: inout Tally) throws {
        guard let recipient = m.recipient else {
            try outbox.markSuppressed(id: m.id, reason: "no e-mail address")
            tally.suppressed += 1
            return
        }
        if try outbox.isOptedOut(email: recipient) {
            try outbox.markSuppressed(id: m.id, reason: "opted out")
            tally.suppressed += 1
            log("#\(m.id) \(m.customerId): suppressed (opted out)")
            return
        }
        let start = limiter.reserve(now: Date())
        let wait = start.timeIntervalSinceNow
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        switch transport(m) {
        case .accepted:
            try outbox.markSent(id: m.id)
            tally.sent += 1
            log("#\(m.id) \(m.customerId) <\(recipient)>: sent")
        case .permanent(let reason):
            try outbox.markFailed(id: m.id, reason: reason)
            tally.failed += 1
            log("#\(m.id) \(m.customerId) <\(recipient)>: failed: \(reason)")
        case .transient(let reason):
            if m.attempts >= policy.maxAttempts {
                try outbox.markFailed(id: m.id, reason: "gave up after \(m.attempts) attempts: \(reason)")
                tally.failed += 1
                log("#\(m.id) \(m.customerId) <\(recipient)>: failed after \(m.attempts) attempts: \(reason)")
            } else {
                let delay = policy.delay(afterAttempt: m.attempts)
                try outbox.markRetry(id: m.id, reason: reason, nextAttemptAt: Date().addingTimeInterval(delay))
                tally.retried += 1
                log("#\(m.id) \(m.customerId) <\(recipient)>: attempt \(m.attempts) failed, retry in \(String(format: "%.1f", delay)) s: \(reason)")
            }
        }
    }
}
