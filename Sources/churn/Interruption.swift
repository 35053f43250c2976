import Foundation

/// The write end of the pipe the signal handler writes to (set once, before the handler is installed).
/// Written once by `install()` before the handler can run; read only by the handler.
nonisolated(unsafe) private var signalPipeWrite: Int32 = -1

/// SIGINT/SIGTERM during a run: the registered clean-ups run (newest first: stop local workers,
/// delete the half-written outputs and temporary files, mark the history run failed), then the
/// process exits 128+signal.
///
/// The handler is installed with `signal(2)` before `install()` returns, so a signal that arrives at
/// any later moment is caught (a dispatch signal source registers asynchronously, and a signal sent
/// in between was lost). The handler only writes the signal number to a pipe; a thread of ours reads
/// it and does the clean-up outside signal context.
enum Interruption {
    private static let lock = NSLock()
    // All three guarded by `lock`.
    nonisolated(unsafe) private static var actions: [Int: () -> Void] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var installed = false

    /// Starts watching the signals (once).
    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        signalPipeWrite = fds[1]
        let readEnd = fds[0]
        let reader = Thread {
            var sig: Int32 = 0
            while true {
                let n = read(readEnd, &sig, MemoryLayout<Int32>.size)
                if n == MemoryLayout<Int32>.size { interrupted(by: sig) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
            }
        }
        reader.name = "churn-signals"
        reader.start()
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { received in
                var value = received
                _ = write(signalPipeWrite, &value, MemoryLayout<Int32>.size)
            }
        }
    }

    /// Starts some work and registers its clean-up as one step: a signal that arrives while `start`
    /// runs is handled once the clean-up is registered, so whatever `start` began (a job that may
    /// already be writing temporary files) is always cleaned up. Returns the work and the token that
    /// removes the clean-up when the work finished normally.
    static func start<Work>(_ start: () throws -> Work, cleanUp: @escaping (Work) -> Void) rethrows -> (Work, token: Int) {
        lock.lock()
        defer { lock.unlock() }
        let work = try start()
        nextToken += 1
        actions[nextToken] = { cleanUp(work) }
        return (work, nextToken)
    }

    static func remove(_ token: Int) {
        lock.lock()
        actions[token] = nil
        lock.unlock()
    }

    /// Parks the calling thread while the interrupt handler cleans up and exits the process.
    static func waitForExit() -> Never {
        while true { pause() }
    }

    private static func interrupted(by sig: Int32) {
        lock.lock()
        let pending = actions.sorted { $0.key > $1.key }.map(\.value)
        actions.removeAll()
        lock.unlock()
        FileHandle.standardError.write(Data("\nchurn: interrupted (signal \(sig)); cleaning up\n".utf8))
        for action in pending { action() }
        exit(128 + sig)
    }
}
