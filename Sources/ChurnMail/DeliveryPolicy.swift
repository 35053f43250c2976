import Foundation

/// How a delivery attempt ended, as the outbox needs to know it.
public enum SMTPOutcome: Equatable, Sendable {
    /// The server took the message (250 after DATA).
    case accepted
    /// Worth trying again later: no connection, a timeout, or a 4xx reply. The text says which.
    case transient(String)
    /// Will not get better: a 5xx reply, with the server's own text.
    case permanent(String)
}

/// When to try a message again: exponential back-off from `baseDelay`, doubled per attempt up to
/// `maxDelay`; after `maxAttempts` attempts a temporary failure becomes a permanent one.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelay: TimeInterval
    public var maxDelay: TimeInterval
    public var maxAttempts: Int

    public init(baseDelay: TimeInterval = 30, maxDelay: TimeInterval = 3600, maxAttempts: Int = 10) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// The wait after the `attempt`-th failed attempt (1-based): base, 2×base, 4×base, … capped.
    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        let exponent = Double(max(0, min(attempt - 1, 30)))
        return min(maxDelay, baseDelay * pow(2, exponent))
    }
}

/// Messages per minute, spread evenly: a send may start no sooner than `60 / perMinute` seconds
/// after the previous one. Providers count per minute and refuse (4xx) beyond their limit.
public struct RateLimiter: Sendable {
    public let perMinute: Double
    private var lastStart: Date?

    public init(perMinute: Double) {
        self.perMinute = perMinute
    }

    /// When the next send may start, given the time now; records it as started then.
    public mutating func reserve(now: Date) -> Date {
        guard perMinute > 0, let last = lastStart else {
            lastStart = now
            return now
        }
        let next = max(now, last.addingTimeInterval(60 / perMinute))
        lastStart = next
        return next
    }
}
