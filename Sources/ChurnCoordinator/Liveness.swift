/// Heartbeats and silence detection for one connection, with no clock of its own: the caller
/// reports when it heard from the peer and ticks it with the time (monotonic nanoseconds).
public struct Liveness: Sendable, Equatable {
    /// What a tick asks for.
    public enum Action: Equatable, Sendable {
        case none
        /// Send a HEARTBEAT stamped with this time.
        case sendHeartbeat(sentAt: UInt64)
        /// The peer has been silent too long: drop the connection.
        case timeout(silentMs: UInt64)
    }

    public let interval: UInt64
    public let timeout: UInt64
    private(set) var lastHeard: UInt64
    private var lastSent: UInt64?
    /// Round trip of the last answered heartbeat.
    public private(set) var roundTrip: UInt64?

    /// - Parameters:
    ///   - interval: heartbeats at most this often.
    ///   - timeout: silence longer than this is a dead peer.
    ///   - now: when the connection opened.
    public init(interval: UInt64, timeout: UInt64, now: UInt64) {
        self.interval = interval
        self.timeout = timeout
        lastHeard = now
    }

    /// Any frame from the peer.
    public mutating func heard(now: UInt64) { lastHeard = now }

    /// The peer echoed a heartbeat sent at `sentAt`.
    public mutating func acknowledged(sentAt: UInt64, now: UInt64) {
        lastHeard = now
        if now >= sentAt { roundTrip = now - sentAt }
    }

    /// Called periodically; `canSend` is false while the handshake is still going.
    public mutating func tick(now: UInt64, canSend: Bool = true) -> Action {
        let silent = now &- lastHeard
        if silent > timeout { return .timeout(silentMs: silent / 1_000_000) }
        guard canSend else { return .none }
        if let last = lastSent, now &- last < interval { return .none }
        lastSent = now
        return .sendHeartbeat(sentAt: now)
    }
}
