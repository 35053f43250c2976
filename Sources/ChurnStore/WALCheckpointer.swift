import CSQLite
import Foundation

/// Copies a busy writer's WAL pages into the database file from a thread and connection of its
/// own, so that the writer's commits never wait for a checkpoint's reads, writes and fsyncs (with
/// SQLite's automatic checkpoints they would, every 1000 pages). The writer turns automatic
/// checkpoints off while this runs and calls `committed()` after each commit.
final class WALCheckpointer: @unchecked Sendable {  // `pending`, `stopped` guarded by `condition`
    /// Commits between two checkpoints (of `PredictionWriter.blocksPerCommit` blocks each when fed
    /// by chunks: about 16 blocks, 5–7 MB of WAL).
    static let commitsPerCheckpoint = 4

    private let condition = NSCondition()
    private var pending = 0
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(path: String) {
        let thread = Thread { [self] in
            defer { finished.signal() }
            // Without its own connection there is nothing to do; SQLite checkpoints when the writer's
            // connection closes.
            guard let db = try? SQLiteConnection(path: path) else { return }
            sqlite3_busy_timeout(db.handle, 1000)
            try? db.execute("PRAGMA synchronous = NORMAL")
            while true {
                condition.lock()
                while pending < Self.commitsPerCheckpoint && !stopped { condition.wait() }
                let stop = stopped
                pending = 0
                condition.unlock()
                if stop { return }
                // PASSIVE: copies what it can without blocking the writer or any reader.
                sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            }
        }
        thread.start()
    }

    func committed() {
        condition.lock()
        pending += 1
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread (after the checkpoint in progress, if any).
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }
}
