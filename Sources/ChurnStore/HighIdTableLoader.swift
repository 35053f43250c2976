import Foundation

/// Builds an earlier run's `HighIdTable` on a thread and connection of its own, so that a writer
/// comparing with that run (`PredictionWriter`'s `comparingWith`) keeps writing blocks meanwhile.
/// Built on the writer's own thread, the table (about 0.1–0.5 s of CPU for 2M High ids) held up
/// the history thread at the run's first block, and with it, once the few chunks it may queue were
/// full, the scoring threads, while a core stood idle.
final class HighIdTableLoader: @unchecked Sendable {  // `outcome` guarded by `lock`
    private let lock = NSLock()
    private var outcome: Result<HighIdTable, Error>?
    private let built = DispatchSemaphore(value: 0)
    /// Tests only: when set, a loader waits for it before it starts (to write blocks meanwhile).
    nonisolated(unsafe) static var startGate: DispatchSemaphore?

    /// Starts building the table of run `runId` of the database at `path`.
    init(path: String, runId: Int64) {
        let gate = Self.startGate
        let thread = Thread { [self] in
            gate?.wait()
            let result = Result {
                let store = try RunStore(path: path)
                return try store.locked {
                    // The ids are read once, in order: a page cache would only add to the run's peak
                    // memory (the writer's connection has its own 4 MiB).
                    try store.db.execute("PRAGMA cache_size = -256", "configure the loader's connection")
                    return try store.highIdTableLocked(runId: runId)
                }
            }
            lock.lock()
            outcome = result
            lock.unlock()
            built.signal()
        }
        thread.start()
    }

    /// The table if it is built (or the error that stopped it), nil while it is being built.
    var ready: Result<HighIdTable, Error>? {
        lock.lock()
        defer { lock.unlock() }
        return outcome
    }

    /// Waits for the table.
    func wait() throws -> HighIdTable {
        built.wait()
        built.signal()
        return try ready!.get()
    }
}
