import Foundation

/// Lets a repeated log line through at most once per interval and counts the ones held back, so a
/// flood of refused connections costs a line a second, not a line per connection.
struct RateLimitedLog {
    let interval: TimeInterval
    private var lastLogged: Date?
    private var suppressed = 0

    init(interval: TimeInterval) { self.interval = interval }

    /// Whether to log now: the number of occurrences held back since the last line, or nil to hold
    /// this one back too.
    mutating func admit(now: Date) -> Int? {
        if let last = lastLogged, now.timeIntervalSince(last) < interval {
            suppressed += 1
            return nil
        }
        lastLogged = now
        defer { suppressed = 0 }
        return suppressed
    }
}
