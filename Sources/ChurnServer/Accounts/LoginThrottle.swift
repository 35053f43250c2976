import Foundation

/// Slows down password guessing: failures are counted per account name and per client address;
/// from the 5th failure on a key, sign-in attempts on it are refused (429) for a back-off that
/// doubles with each further failure (`base`, 2·`base`, 4·`base` … at most `maximum`). A success
/// clears the account's and the address's counts.
final class LoginThrottle: @unchecked Sendable {
    static let freeFailures = 5

    let base: TimeInterval
    let maximum: TimeInterval
    private struct Count { var failures: Int; var last: Date; var blockedUntil: Date? }
    private var counts: [String: Count] = [:]
    private let lock = NSLock()

    init(base: TimeInterval = 30, maximum: TimeInterval = 900) {
        self.base = base
        self.maximum = maximum
    }

    /// Seconds to wait before `user` may try again from `address`; nil when an attempt may go ahead.
    func wait(user: String, address: String, now: Date = Date()) -> TimeInterval? {
        lock.withLock {
            let waits = [key(user: user), key(address: address)].compactMap { counts[$0]?.blockedUntil?.timeIntervalSince(now) }.filter { $0 > 0 }
            return waits.max().map { max(1, $0.rounded(.up)) }
        }
    }

    func failed(user: String, address: String, now: Date = Date()) {
        lock.withLock {
            if counts.count > 100_000 { counts = counts.filter { now.timeIntervalSince($0.value.last) < maximum } }
            for k in [key(user: user), key(address: address)] {
                var c = counts[k] ?? Count(failures: 0, last: now, blockedUntil: nil)
                c.failures += 1
                c.last = now
                if c.failures >= Self.freeFailures {
                    let doublings = min(c.failures - Self.freeFailures, 20)
                    c.blockedUntil = now.addingTimeInterval(min(maximum, base * pow(2, Double(doublings))))
                }
                counts[k] = c
            }
        }
    }

    func succeeded(user: String, address: String) {
        lock.withLock {
            counts[key(user: user)] = nil
            counts[key(address: address)] = nil
        }
    }

    private func key(user: String) -> String { "user " + user.lowercased() }
    private func key(address: String) -> String { "address " + address }
}
