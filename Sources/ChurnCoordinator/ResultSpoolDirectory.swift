import ChurnEngine
import ChurnIO
import Foundation

/// The directory `--local` workers write their results CSVs into (protocol version 5,
/// SPOOL_RESULTS): made by the pool that starts them (mode 0700, on tmpfs when `/dev/shm` exists, so
/// a result is written to memory and copied once, into the results file), named on each worker's
/// command line (`--spool-dir`), and removed with everything in it when the pool closes (a worker
/// killed mid-write leaves its file until then). A result's file, once copied, is renamed
/// `NAME.free`, and its worker writes a later result into it: its pages are reused, not freed.
/// A coordinator killed with SIGKILL cannot remove its directory; the next one made in the same
/// place removes it (`removeAbandoned`), since its name carries the dead coordinator's pid.
///
/// Threading: `open(_:length:)` on the pool's loop thread; `discard(_:)` on the loop or a job's
/// writer thread; `remove()` once the loop has stopped.
final class ResultSpoolDirectory: @unchecked Sendable {  // `path` and `directoryFD` are set in init; `removed` guarded by `lock`
    let path: String
    private let directoryFD: Int32
    private let lock = NSLock()
    private var removed = false

    /// Makes a new, private directory.
    init() throws {
        let parent: String
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: "/dev/shm", isDirectory: &isDirectory), isDirectory.boolValue,
           access("/dev/shm", W_OK | X_OK) == 0 {
            parent = "/dev/shm/"
        } else {
            parent = NSTemporaryDirectory()
        }
        Self.removeAbandoned(in: parent)
        var template = Array((parent + "churn-spool-\(getpid())-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ClusterError.configuration("cannot make a spool directory in \(parent): \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
        directoryFD = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryFD >= 0 else {
            rmdir(path)
            throw ClusterError.configuration("cannot open the spool directory \(path): \(String(cString: strerror(errno)))")
        }
        // Held for the directory's life (released when the descriptor closes, or the process dies):
        // how another coordinator's sweep tells a live directory from an abandoned one, whatever
        // PID namespace either runs in.
        _ = flock(directoryFD, LOCK_EX | LOCK_NB)
    }

    /// Removes the spool directories in `parent` that coordinators killed with SIGKILL left behind:
    /// named `churn-spool-PID-…` with no process PID running, owned by this user, real directories
    /// (not links), and not locked (a live coordinator holds a lock on its own, which also covers
    /// one in another PID namespace sharing this directory). Anything else stays.
    static func removeAbandoned(in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix("churn-spool-") {
            let fields = name.dropFirst("churn-spool-".count).split(separator: "-", maxSplits: 1)
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, pid != getpid(),
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            let path = parent.hasSuffix("/") ? parent + name : parent + "/" + name
            let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_uid == geteuid(), flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
            if let files = try? FileManager.default.contentsOfDirectory(atPath: path) {
                for file in files { unlinkat(fd, file, 0) }
            }
            rmdir(path)
        }
    }

    /// Opens a worker's result file, checking that it holds `length` bytes. Once its bytes have been
    /// copied (the returned value is gone) the file is renamed `NAME.free` for the worker to reuse.
    func open(_ name: String, length: UInt64) throws -> SpooledCSV {
        let fd = openat(directoryFD, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw ClusterError.badInput("spooled result \(name): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, UInt64(info.st_size) == length else {
            close(fd)
            unlinkat(directoryFD, name, 0)
            throw ClusterError.badInput("spooled result \(name) does not hold the \(length) bytes announced")
        }
        return SpooledCSV(fd: fd, length: Int(length), name: name, directory: self)
    }

    /// Hands a result file nobody reads any more back to its worker (`NAME.free`).
    func discard(_ name: String) {
        renameat(directoryFD, name, directoryFD, name + ".free")
    }

    /// Removes the directory and whatever is left in it. Idempotent.
    func remove() {
        let first: Bool = lock.withLock {
            defer { removed = true }
            return !removed
        }
        guard first else { return }
        if let names = try? FileManager.default.contentsOfDirectory(atPath: path) {
            for name in names { unlinkat(directoryFD, name, 0) }
        }
        rmdir(path)
    }

    deinit {
        remove()
        // Only now: results still being written hold this directory, and rename through its descriptor.
        close(directoryFD)
    }
}

/// A worker's results CSV in an open spool file, handed back to the worker (`NAME.free`) once done.
final class SpooledCSV: @unchecked Sendable {  // handed from the loop thread to the job's writer thread through a locked queue
    private var fd: Int32
    let length: Int
    private let name: String
    private let directory: ResultSpoolDirectory

    init(fd: Int32, length: Int, name: String, directory: ResultSpoolDirectory) {
        self.fd = fd
        self.length = length
        self.name = name
        self.directory = directory
    }

    /// The file's bytes, mapped (not copied), with the file's descriptor: the results file is written
    /// from it by the kernel (`OutputFile`), which leaves the mapping untouched. Checked to end in a
    /// line feed like an inline result's CSV.
    func bytes() throws -> ByteBlock {
        guard length > 0 else { return ByteWriter(capacity: 64).finish() }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, off_t(length - 1)) == 1, last == 0x0A else {
            throw ClusterError.badInput("a spooled result does not end in a line feed")
        }
        let mapping = try FileMapping(fd: fd, length: length, release: { [directory, name] in directory.discard(name) })
        fd = -1  // the mapping owns it now
        return ByteBlock(base: mapping.base, count: length, owner: mapping, fileDescriptor: mapping.fd)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            directory.discard(name)
        }
    }
}

/// A read-only mapping of a whole file and its descriptor: unmapped and closed when the last holder
/// lets go, then `release` runs.
private final class FileMapping {
    let base: UnsafeRawPointer
    let length: Int
    let fd: Int32
    private let release: () -> Void

    init(fd: Int32, length: Int, release: @escaping () -> Void) throws {
        // Not populated: the results file is written from `fd`, so the pages are rarely touched.
        guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ClusterError.badInput("cannot map a spooled result: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
        self.length = length
        self.fd = fd
        self.release = release
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), length)
        close(fd)
        release()
    }
}

/// What a pool that started its own workers gave them: the spool directory for their results
/// (`--spool-dir`, protocol version 5) and, when the run reads a regular file, that file's identity
/// (`--input-file`, protocol version 6: shards go as byte ranges of it).
struct LocalWorkerFiles {
    var directory: ResultSpoolDirectory
    var endpoints: [WorkerEndpoint]
    var input: FileIdentity?
}
