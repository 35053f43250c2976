import ChurnWire
import Foundation

/// How a worker listens, authenticates, and bounds its work and memory.
public struct WorkerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The shared secret; nil accepts unauthenticated clients (for a trusted single machine only).
    public var secret: [UInt8]?
    /// Threads that parse and score shards (default: the cores).
    public var threads: Int
    /// Largest frame payload accepted.
    public var maxFrameSize: Int
    /// The credit window advertised to each client: SCORE_SHARDs outstanding per connection.
    public var maxShardsInFlight: Int
    /// Reading from a peer pauses while this many bytes wait to be written to it.
    public var maxQueuedWriteBytes: Int
    public var maxConnections: Int
    /// Connections from one address that have not finished the handshake; more are refused, so that
    /// one host cannot hold every slot for a handshake timeout at a time.
    public var maxHandshakesPerAddress: Int
    /// A connection with no frame for this long is closed (clients heartbeat well within it).
    public var idleTimeout: Duration
    /// HELLO (and AUTH) must arrive within this long of connecting.
    public var handshakeTimeout: Duration
    /// On SIGTERM, in-flight shards get this long to finish before connections close anyway.
    public var drainTimeout: Duration
    public var name: String
    /// Benchmarking only: answer every shard at once with an empty result, to measure how fast a
    /// coordinator can dispatch (`churn worker --null-scoring`).
    public var nullScoring = false
    /// The one directory a client may ask results to be written to (SPOOL_RESULTS, protocol version
    /// 5), for workers that `churn score --local` starts on its own machine; nil refuses every such
    /// request (the default, and what an operator's `churn worker` has).
    public var spoolDirectory: String?
    /// The one file a client may ask shards to be read from (SCORE_SHARD_REF, protocol version 6),
    /// for workers that `churn score --local` starts for its input; nil refuses every such request.
    public var inputFile: String?

    public init(host: String = "127.0.0.1", port: Int = 7600, secret: [UInt8]? = nil,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, maxFrameSize: Int = Frame.defaultMaxFrameSize,
                maxShardsInFlight: Int = 4, maxQueuedWriteBytes: Int = 64 << 20, maxConnections: Int = 256,
                maxHandshakesPerAddress: Int = 32,
                idleTimeout: Duration = .seconds(30), handshakeTimeout: Duration = .seconds(10),
                drainTimeout: Duration = .seconds(30), name: String? = nil) {
        self.host = host
        self.port = port
        self.secret = secret
        self.threads = max(1, threads)
        self.maxFrameSize = maxFrameSize
        self.maxShardsInFlight = max(1, maxShardsInFlight)
        self.maxQueuedWriteBytes = maxQueuedWriteBytes
        self.maxConnections = maxConnections
        self.maxHandshakesPerAddress = max(1, maxHandshakesPerAddress)
        self.idleTimeout = idleTimeout
        self.handshakeTimeout = handshakeTimeout
        self.drainTimeout = drainTimeout
        self.name = name ?? "churn-worker@\(ProcessInfo.processInfo.hostName)"
    }
}
