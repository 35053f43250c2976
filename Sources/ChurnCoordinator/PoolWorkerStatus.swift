import Foundation

/// One worker connection of a pool as it is now: for `churn cluster status` on a live pool and for
/// the dashboard.
public struct PoolWorkerStatus: Sendable, Equatable, Codable {
    /// Connection states, as words.
    public enum State: String, Sendable, Codable {
        case connecting, ready, draining, down, refused, closed
    }

    public var endpoint: String
    public var state: State
    /// Shards in flight on it now.
    public var inFlight: Int
    public var shardsScored: Int
    public var rowsScored: UInt64
    /// Connections lost and protocol errors since the pool started.
    public var errors: Int
    /// Round-trip time of the last heartbeat, in milliseconds.
    public var roundTripMs: Double?
    /// Handshakes completed (1 while the connection has never been lost).
    public var handshakes: Int
    /// Models uploaded to it (LOAD_MODEL); a model it already held is not sent again.
    public var modelUploads: Int
    /// Why it is down or refused, if it is.
    public var problem: String?
}

/// The pool's per-worker status, written on the loop thread and read from any thread.
public final class PoolStatusBoard: @unchecked Sendable {  // `workers` guarded by `lock`
    private let lock = NSLock()
    private var workers: [PoolWorkerStatus] = []

    init() {}

    func set(_ w: [PoolWorkerStatus]) { lock.withLock { workers = w } }

    /// Every worker connection, in the pool's order.
    public var snapshot: [PoolWorkerStatus] { lock.withLock { workers } }
}
