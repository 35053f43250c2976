import Dispatch
import Foundation

/// SIGINT/SIGTERM during a run: the registered clean-ups run (newest first: stop local workers,
/// delete the half-written results, mark the history run failed), then the process exits 128+signal.
enum Interruption {
    private static let lock = NSLock()
    // All three guarded by `lock`.
    nonisolated(unsafe) private static var actions: [Int: () -> Void] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Starts watching the signals (once).
    static func install() {
        lock.lock()
        defer { lock.unlock() }
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { interrupted(by: sig) }
            source.resume()
            sources.append(source)
        }
    }

    /// Registers a clean-up; the token removes it when the work finished normally.
    @discardableResult
    static func onInterrupt(_ action: @escaping () -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        nextToken += 1
        actions[nextToken] = action
        return nextToken
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
