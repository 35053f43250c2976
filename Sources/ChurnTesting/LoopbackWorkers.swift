import ChurnCoordinator
import ChurnWorker
import Foundation
import Logging

/// Scoring workers running inside this process on loopback, each a real `WorkerServer` (its own
/// libuv loop, real TCP, the real protocol) on a thread of its own: for tests of the pool and the
/// service that need workers but not processes. Their log lines are kept in `log`.
public final class LoopbackWorkers: @unchecked Sendable {  // `servers`, `threads` written in init, read-only after
    public private(set) var endpoints: [WorkerEndpoint] = []
    public let secret: [UInt8]
    public let log = CapturedLog()
    private var servers: [WorkerServer] = []
    private var finished: [DispatchSemaphore] = []

    /// Starts `count` workers with `threadsEach` scoring threads and a random shared secret.
    public init(count: Int, threadsEach: Int = 1, configure: (inout WorkerConfiguration) -> Void = { _ in }) throws {
        secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
        for i in 0..<count {
            var configuration = WorkerConfiguration(host: "127.0.0.1", port: 0, secret: secret, threads: threadsEach,
                                                    name: "loopback-worker-\(i + 1)")
            configure(&configuration)
            let log = self.log
            var logger = Logger(label: "worker-\(i + 1)") { label in CapturingHandler(label: label, log: log) }
            logger.logLevel = .debug
            let server = try WorkerServer(configuration: configuration, logger: logger)
            let ready = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
            let port = PortBox()
            let thread = Thread {
                _ = try? server.run(handleSignals: false) { _, p in
                    port.value = p
                    ready.signal()
                }
                done.signal()
            }
            thread.name = "loopback-worker-\(i + 1)"
            thread.start()
            guard ready.wait(timeout: .now() + 10) == .success else { throw LoopbackError("worker \(i + 1) did not start") }
            servers.append(server)
            finished.append(done)
            endpoints.append(WorkerEndpoint(host: "127.0.0.1", port: port.value))
        }
    }

    /// Drains every worker and waits for them to stop.
    public func shutdown() {
        for server in servers { server.shutdown() }
        for done in finished { _ = done.wait(timeout: .now() + 10) }
        servers.removeAll()
        finished.removeAll()
    }

    deinit { shutdown() }

    /// Each worker's STATS, through the real protocol.
    public func stats() throws -> [WorkerStatus] {
        try ClusterStatusProbe.probe(endpoints, secret: secret)
    }
}

private final class PortBox: @unchecked Sendable {  // written before `ready` is signalled, read after
    var value = 0
}

/// Why the loopback workers could not start.
public struct LoopbackError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Log lines kept for tests to read.
public final class CapturedLog: @unchecked Sendable {  // `lines` guarded by `lock`
    private let lock = NSLock()
    private var lines: [String] = []

    public init() {}

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    /// Every line so far.
    public var all: [String] { lock.withLock { lines } }

    /// How many lines contain `text`.
    public func count(containing text: String) -> Int { all.filter { $0.contains(text) }.count }
}

/// A swift-log handler that appends "label: message" to a `CapturedLog`.
struct CapturingHandler: LogHandler {
    let label: String
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        log.append("\(label) \(level): \(message)")
    }
}
