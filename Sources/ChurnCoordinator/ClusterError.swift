/// Why a cluster run could not finish.
public enum ClusterError: Error, CustomStringConvertible, Equatable {
    case configuration(String)
    /// No worker completed the handshake; the reasons by address.
    case noWorkerAccepted([String])
    /// Every worker was lost mid-run.
    case allWorkersLost(String)
    /// A worker rejected the shards themselves (e.g. a required column is missing).
    case badInput(String)
    /// The run was cancelled by its caller.
    case cancelled

    public var description: String {
        switch self {
        case .configuration(let s): return s
        case .noWorkerAccepted(let reasons): return "no worker accepted the connection:\n  " + reasons.joined(separator: "\n  ")
        case .allWorkersLost(let s): return "all workers lost: \(s)"
        case .badInput(let s): return s
        case .cancelled: return "cancelled"
        }
    }
}
