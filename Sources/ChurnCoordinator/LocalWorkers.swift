import ChurnIO
import Foundation

/// Worker processes started on this machine for `--local N` (and `cluster/local`): each is
/// `churn worker --listen 127.0.0.1:0`, whose first stdout line names the port it got.
public final class LocalWorkers {
    public private(set) var endpoints: [WorkerEndpoint] = []
    public private(set) var processes: [Process] = []

    /// Starts `count` workers sharing the cores, authenticated with the secret in `secretFile`.
    public init(count: Int, executable: String, secretFile: String, threadsEach: Int, logLevel: String = "warning") throws {
        for i in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker", "--listen", "127.0.0.1:0", "--secret-file", secretFile,
                                 "--threads", String(threadsEach), "--log-level", logLevel]
            let out = Pipe()
            process.standardOutput = out
            do {
                try process.run()
            } catch {
                stop()
                throw ClusterError.configuration("cannot start local worker \(i + 1) (\(executable)): \(error)")
            }
            processes.append(process)
            guard let line = Self.readLine(out.fileHandleForReading, timeout: 10),
                  let address = line.split(separator: " ").last,
                  let endpoint = try? WorkerEndpoint.parse(String(address)) else {
                stop()
                throw ClusterError.configuration("local worker \(i + 1) did not report its address")
            }
            endpoints.append(endpoint)
        }
    }

    /// The path of the running executable (to start workers of the same build).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
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
        for p in processes where p.isRunning { kill(p.processIdentifier, SIGTERM) }
        for p in processes { p.waitUntilExit() }
        processes.removeAll()
    }

    deinit { stop() }
}
