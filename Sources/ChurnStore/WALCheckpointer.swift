import CSQLite
import Foundation

/// Copies a busy writer's WAL pages into the database file from a thread and connection of its
/// own, so that the writer's commits do not wait for a checkpoint's reads, writes and fsyncs (with
/// SQLite's automatic checkpoints they would, every 1000 pages). The writer turns automatic
/// checkpoints off while this runs and calls `committed(walFrames:)` after each commit.
///
/// A checkpoint starts after every commit, so that it usually ends before the writer's next
/// transaction begins: SQLite then writes that transaction from the start of the WAL again, and
/// the WAL file stays a few MB that the page cache keeps reusing. When the checkpoints fall behind
/// anyway (a slow disk, a busy machine) and the WAL holds `maxFrames` frames or more, the writer
/// waits for one checkpoint that starts after its commit, which bounds the WAL to about `maxFrames`
/// plus one transaction unless a reader holds an older snapshot (a checkpoint cannot copy past it).
/// Without the bound a 10M-row run's WAL grew to 40–150 MB on a busy machine.
final class WALCheckpointer: @unchecked Sendable {  // all `var`s guarded by `condition`
    /// Frames (pages) in the WAL at which the writer waits for a checkpoint.
    let maxFrames: Int

    private let condition = NSCondition()
    /// Commits since the last checkpoint started.
    private var pending = 0
    private var started = 0
    private var completed = 0
    /// False once the thread has ended (stopped, or it could not open its connection).
    private var running = true
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameter maxFrames: WAL frames at which a commit waits for a checkpoint (see the type).
    init(path: String, maxFrames: Int) {
        self.maxFrames = max(1, maxFrames)
        let thread = Thread { [self] in
            defer {
                condition.lock()
                running = false
                condition.broadcast()
                condition.unlock()
                finished.signal()
            }
            // Without its own connection there is nothing to do; SQLite checkpoints when the writer's
            // connection closes.
            guard let db = try? SQLiteConnection(path: path) else { return }
            sqlite3_busy_timeout(db.handle, 1000)
            try? db.execute("PRAGMA synchronous = NORMAL")
            while true {
                condition.lock()
                while pending == 0 && !stopped { condition.wait() }
                let stop = stopped
                pending = 0
                if !stop { started += 1 }
                condition.unlock()
                if stop { return }
                // PASSIVE: copies what it can without blocking the writer or any reader.
                sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                condition.lock()
                completed += 1
                condition.broadcast()
                condition.unlock()
            }
        }
        thread.start()
    }

    /// Called by the writer after each commit; returns at once unless the WAL holds `maxFrames`
    /// frames or more, then after a checkpoint that started after this call.
    /// - Parameter walFrames: frames in the WAL after the commit (from SQLite's WAL hook).
    func committed(walFrames: Int) {
        condition.lock()
        defer { condition.unlock() }
        pending += 1
        condition.broadcast()
        guard walFrames >= maxFrames else { return }
        // The checkpoint in progress (if any) may have started before this commit: wait for the next.
        let target = started + 1
        while completed < target && running { condition.wait() }
    }

    /// Stops the thread (after the checkpoint in progress, if any).
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }
}
