/// Why a `TCPConnection` closed; passed to `onClose` exactly once.
public enum CloseReason: Equatable, Sendable, CustomStringConvertible {
    /// This side called `close()` or `shutdownAndClose()`.
    case closedLocally
    /// The peer closed its side (EOF).
    case peerClosed
    /// A read or write failed (`ECONNRESET`, `EPIPE`, …).
    case failed(TransportError)
    /// `EventLoop.stop()` closed the connection.
    case loopStopped

    public var description: String {
        switch self {
        case .closedLocally: return "closed locally"
        case .peerClosed: return "closed by peer"
        case .failed(let error): return "failed: \(error)"
        case .loopStopped: return "loop stopped"
        }
    }
}
