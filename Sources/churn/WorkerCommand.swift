import ArgumentParser
import ChurnEngine
import ChurnIO
import ChurnWorker
import Foundation
import Logging

struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Serve shard scoring over churn's binary protocol (TCP) from a libuv event loop.",
        discussion: """
            Prints "churn worker listening on HOST:PORT" on stdout once ready. SIGTERM or SIGINT drains it: \
            no new connections, in-flight shards finish, clients get GOODBYE, exit 0. Logs go to stderr.
            """)

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).") var listen: String = "127.0.0.1:7600"
    @Option(help: "File holding the shared secret (must not be readable by other users). Without it, clients are not authenticated.")
    var secretFile: String?
    @Option(help: "Scoring threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Largest frame payload accepted, in bytes.") var maxFrame: Int = 64 << 20
    @Option(help: "Shards in flight per connection (the credit window advertised to clients).") var maxInFlight: Int = 4
    @Option(help: "Time without a frame after which a connection is closed (30s, 2m; a plain number is seconds).")
    var idleTimeout = DurationArgument(seconds: 30)
    @Option(help: "Time a new connection has to complete the handshake (10s; a plain number is seconds).")
    var handshakeTimeout = DurationArgument(seconds: 10)
    @Option(help: "Connections served at once; more are refused.") var maxConnections: Int = 256
    @Option(help: "Connections from one address that may be in the handshake at once; more are refused.")
    var maxHandshakesPerAddress: Int = 32
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel: String = "info"
    @Flag(help: "Drain and exit when standard input closes (for workers started by another process).")
    var exitWithParent = false
    @Flag(help: ArgumentHelp("Benchmarking: answer every shard at once with an empty result (measures a coordinator alone).", visibility: .hidden))
    var nullScoring = false
    @Option(help: ArgumentHelp("For workers started by `churn score --local`: write results into files of DIR (an existing directory the coordinator made and removes) when a client asks with SPOOL_RESULTS naming DIR. Off by default: the worker then refuses SPOOL_RESULTS.", valueName: "DIR", visibility: .hidden))
    var spoolDir: String?
    @Option(help: ArgumentHelp("For workers started by `churn score --local`: read the rows of a shard sent by reference (SCORE_SHARD_REF) from FILE, opened once at start-up and only while it keeps the identity the reference names. Off by default: the worker then refuses SCORE_SHARD_REF.", valueName: "FILE", visibility: .hidden))
    var inputFile: String?

    func run() throws {
        try runReportingErrors {
            let logger = try makeLogger(label: "churn.worker", level: logLevel)
            let (host, port) = try parseHostPort(listen)
            let secret = try secretFile.map { try SecretFile.read(path: $0) }
            if secret == nil { logger.warning("no --secret-file: clients are not authenticated") }
            // Shard frames and result buffers (a few MB each, a few in flight) are reused from the heap
            // rather than freshly mapped each time: a page fault per 4 KiB cost a worker about a tenth
            // of its CPU. Past 16 MB free at the heap's top, memory goes back to the system when idle.
            MemoryTuning.reuseLargeBuffers(keepFree: 16 << 20)
            var configuration = WorkerConfiguration(
                host: host, port: port, secret: secret, threads: threads, maxFrameSize: maxFrame,
                maxShardsInFlight: maxInFlight, maxConnections: maxConnections,
                maxHandshakesPerAddress: maxHandshakesPerAddress,
                idleTimeout: .milliseconds(Int64(idleTimeout.seconds * 1000)),
                handshakeTimeout: .milliseconds(Int64(handshakeTimeout.seconds * 1000)))
            configuration.nullScoring = nullScoring
            if let spoolDir {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: spoolDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw ValidationError("--spool-dir \(spoolDir) is not a directory")
                }
                configuration.spoolDirectory = spoolDir
            }
            configuration.inputFile = inputFile
            if exitWithParent {
                // The parent holds our stdin open; EOF means it is gone: drain like on SIGTERM.
                Thread {
                    var byte: UInt8 = 0
                    while read(0, &byte, 1) > 0 {}
                    kill(getpid(), SIGTERM)
                }.start()
            }
            let server = try WorkerServer(configuration: configuration, logger: logger)
            let status = try server.run { host, port in
                print("churn worker listening on \(host):\(port)")
                fflush(nil)  // every stream: the parent reads this line before the worker logs anything
            }
            if status != 0 { throw ExitCode(status) }
        }
    }
}

/// "host:port" or "[v6]:port" → (host, port).
func parseHostPort(_ text: String) throws -> (String, Int) {
    var host: Substring
    let portText: Substring
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
        host = text[text.index(after: text.startIndex)..<close]
        let rest = text[text.index(after: close)...]
        guard rest.hasPrefix(":") else { throw CLIError("'\(text)': expected [IPv6]:PORT") }
        portText = rest.dropFirst()
    } else {
        guard let colon = text.lastIndex(of: ":") else { throw CLIError("'\(text)': expected HOST:PORT") }
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
    }
    guard let port = Int(portText), (0...65535).contains(port) else { throw CLIError("'\(text)': bad port '\(portText)'") }
    if host.isEmpty { host = "0.0.0.0" }
    return (String(host), port)
}

/// swift-log's one-time bootstrap (a global `let` is initialised once, thread-safely).
private let loggingBootstrap: Void = LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }

/// A logger writing to stderr at `level`.
func makeLogger(label: String, level: String) throws -> Logger {
    guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
        throw CLIError("--log-level: '\(level)' is not one of trace, debug, info, notice, warning, error, critical")
    }
    _ = loggingBootstrap
    var logger = Logger(label: label)
    logger.logLevel = parsed
    return logger
}
