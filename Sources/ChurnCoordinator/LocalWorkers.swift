import ChurnIO
import Foundation

/// Worker processes started on this machine for `--local N` (and `cluster/local`): each is
/// `churn worker --listen 127.0.0.1:0`, whose first stdout line names the port it got.
public final class LocalWorkers: @unchecked Sendable {  // `processList` and `lifelines` guarded by `lock`; `endpoints` set in init
    public private(set) var endpoints: [WorkerEndpoint] = []
    private var processList: [Process] = []
    /// The worker processes as they are now (a chaos test restarts them from another thread).
    public var processes: [Process] { lock.withLock { processList } }
    private let lock = NSLock()

    /// Write ends held open for the workers' lifetime (see `--exit-with-parent`).
    private var lifelines: [Pipe] = []
    private let executable: String
    private let secretFile: String
    private let threadsEach: Int
    private let logLevel: String
    /// The one directory the workers may write results into when asked (`--spool-dir`), or nil.
    private let spoolDirectory: String?
    /// The one file the workers may read shards from (`--input-file`), or nil.
    private let inputFile: String?

    /// Starts `count` workers sharing the cores, authenticated with the secret in `secretFile`.
    /// - Parameter spoolDirectory: given to each worker as `--spool-dir`: the only place it writes
    ///   results to, and only when a client names it in SPOOL_RESULTS.
    /// - Parameter inputFile: given to each worker as `--input-file`: the only file it reads shards
    ///   from (SCORE_SHARD_REF), and only while the file keeps the identity a reference names.
    public init(count: Int, executable: String, secretFile: String, threadsEach: Int, logLevel: String = "warning",
                spoolDirectory: String? = nil, inputFile: String? = nil) throws {
        self.executable = executable
        self.spoolDirectory = spoolDirectory
        self.inputFile = inputFile
        self.secretFile = secretFile
        self.threadsEach = threadsEach
        self.logLevel = logLevel
        // All start at once, then each reports its port: a worker takes 40–50 ms to start on a quiet
        // machine (more on a busy one), which one-after-the-other added per worker to every run.
        var launched: [(process: Process, output: Pipe)] = []
        for i in 0..<count {
            do {
                let started = try launch(port: 0, number: i + 1)
                lock.withLock { processList.append(started.process) }
                launched.append(started)
            } catch {
                stop()
                throw error
            }
        }
        for (i, started) in launched.enumerated() {
            do {
                endpoints.append(try endpoint(of: started.process, output: started.output, number: i + 1))
            } catch {
                stop()
                throw error
            }
        }
    }

    private func start(port: Int, number: Int) throws -> (Process, WorkerEndpoint) {
        let started = try launch(port: port, number: number)
        return (started.process, try endpoint(of: started.process, output: started.output, number: number))
    }

    private func launch(port: Int, number: Int) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["worker", "--listen", "127.0.0.1:\(port)", "--secret-file", secretFile,
                             "--threads", String(threadsEach), "--log-level", logLevel, "--exit-with-parent"]
            + (spoolDirectory.map { ["--spool-dir", $0] } ?? [])
            + (inputFile.map { ["--input-file", $0] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        // The worker drains and exits when this pipe closes: when this process ends, however it ends.
        let lifeline = Pipe()
        process.standardInput = lifeline
        lock.withLock { lifelines.append(lifeline) }
        do {
            try process.run()
        } catch {
            throw ClusterError.configuration("cannot start local worker \(number) (\(executable)): \(error)")
        }
        return (process, out)
    }

    /// The address in a started worker's first stdout line.
    private func endpoint(of process: Process, output: Pipe, number: Int) throws -> WorkerEndpoint {
        guard let line = Self.readLine(output.fileHandleForReading, timeout: 10),
              let address = line.split(separator: " ").last,
              let endpoint = try? WorkerEndpoint.parse(String(address)) else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw ClusterError.configuration("local worker \(number) did not report its address")
        }
        return endpoint
    }

    /// Kills worker `index` with SIGKILL (a crash, not a drain).
    public func kill9(_ index: Int) {
        let p = lock.withLock { processList[index] }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Starts worker `index` again on the same port.
    public func restart(_ index: Int) throws {
        let (process, _) = try start(port: endpoints[index].port, number: index + 1)
        lock.withLock { processList[index] = process }
    }

    private static func readLine(_ handle: FileHandle, timeout: TimeInterval) -> String? {
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        let fd = handle.fileDescriptor
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            var b: UInt8 = 0
            guard read(fd, &b, 1) == 1 else { return nil }
            if b == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(b)
        }
        return nil
    }

    /// SIGTERM to every worker (they drain and exit), then waits.
    public func stop() {
        let all = lock.withLock {
            defer { processList.removeAll() }
            return processList
        }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        for p in all { p.waitUntilExit() }
    }

    deinit { stop() }
}
