import Foundation

/// Where a connection that asked SPOOL_RESULTS has its results CSVs written: new files in the spool
/// directory the worker was started with (never a path a client names), one per result, which the
/// client removes once it has opened them.
struct ResultSpool: Sendable {
    let directory: String
    /// Makes the names unique across workers and connections: "PID-CONNECTION-".
    let prefix: String

    init(directory: String, connection: Int) {
        self.directory = directory
        prefix = "\(getpid())-\(connection)-"
    }

    /// The file name of a shard's result.
    func name(shardId: UInt64, attempt: UInt32) -> String { "\(prefix)\(shardId)-\(attempt)" }

    /// Writes `bytes` to a new file `name` (created exclusively, mode 0600, no symbolic link
    /// followed); false when it cannot, with no file left behind (the caller then sends them inline).
    func path(of name: String) -> String { directory + "/" + name }

    func write(_ bytes: UnsafeRawBufferPointer, name: String) -> Bool {
        let path = path(of: name)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(path)
                return false
            }
            done += n
        }
        close(fd)
        return true
    }
}
