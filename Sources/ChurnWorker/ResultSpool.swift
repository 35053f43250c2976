import Foundation

/// Where a connection that asked SPOOL_RESULTS has its results CSVs written: files in the spool
/// directory the worker was started with (never a path a client names), one per result.
///
/// Once the client has copied a result it renames the file to `NAME.free`; the next result takes
/// such a file over (renamed to its own name and overwritten in place) instead of a new one. A new
/// file costs its pages' allocation, and its removal their freeing, which on this project's virtual
/// machines (free pages reported to the host) cost more than the copy over loopback it replaces.
///
/// Threading: `write` runs on scoring threads; the list of names handed out is guarded by `lock`.
final class ResultSpool: @unchecked Sendable {  // `handedOut` guarded by `lock`; the rest set in init
    let directory: String
    /// Makes the names unique across workers and connections: "PID-CONNECTION-".
    let prefix: String
    private let lock = NSLock()
    /// Names of files this connection wrote, oldest first: the candidates to take over once freed.
    private var handedOut: [String] = []
    /// Candidates tried per result: the client frees files in input order, so the oldest few are the
    /// ones likely to be free.
    private static let candidates = 4

    init(directory: String, connection: Int) {
        self.directory = directory
        prefix = "\(getpid())-\(connection)-"
    }

    /// The file name of a shard's result.
    func name(shardId: UInt64, attempt: UInt32) -> String { "\(prefix)\(shardId)-\(attempt)" }

    func path(of name: String) -> String { directory + "/" + name }

    /// Writes `bytes` to the file `name`: a freed file of this connection taken over, or a new one
    /// (created exclusively, mode 0600, no symbolic link followed). False when it cannot, with no
    /// file left behind (the caller then sends the bytes inline).
    func write(_ bytes: UnsafeRawBufferPointer, name: String) -> Bool {
        let path = path(of: name)
        var fd: Int32 = -1
        if takeOverFreedFile(as: path) {
            fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
            if fd < 0 { unlink(path) }
        }
        if fd < 0 { fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        guard fd >= 0 else { return false }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(path)
                return false
            }
            done += n
        }
        // A file taken over may have been longer.
        guard ftruncate(fd, off_t(bytes.count)) == 0 else {
            close(fd)
            unlink(path)
            return false
        }
        close(fd)
        lock.withLock { handedOut.append(name) }
        return true
    }

    /// Renames one of this connection's freed files (`NAME.free`) to `path`; false when none is free.
    private func takeOverFreedFile(as path: String) -> Bool {
        let tried: [String] = lock.withLock { Array(handedOut.prefix(Self.candidates)) }
        for name in tried where rename(self.path(of: name + ".free"), path) == 0 {
            lock.withLock { handedOut.removeAll { $0 == name } }
            return true
        }
        // Names the client removed instead of freeing (it does when it cannot use a result) would
        // otherwise stay candidates forever.
        lock.withLock { if handedOut.count > 64 { handedOut.removeFirst(handedOut.count - 64) } }
        return false
    }

    /// Removes this connection's freed files (the connection is closing; the client's directory is
    /// removed with anything freed later).
    func removeFreedFiles() {
        let names = lock.withLock { handedOut }
        for name in names { unlink(path(of: name + ".free")) }
    }
}
