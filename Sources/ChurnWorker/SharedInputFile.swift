import ChurnIO
import ChurnWire
import Foundation

/// The one input file a `--local` worker may read shards from (SCORE_SHARD_REF, protocol version 6):
/// opened once at start-up from the path its coordinator put on the command line (`--input-file`),
/// never from a path a peer names.
///
/// Rows are read with `pread` into a buffer rather than mapped: a mapped file that another process
/// truncates raises SIGBUS on the next access to a page past its new end, which would kill the
/// worker with every shard in flight. `pread` of a shrunk file returns fewer bytes, which is
/// answered with ERROR 17 INPUT_REFUSED like any other mismatch.
///
/// Threading: immutable after init; `read` runs on scoring threads (`pread` and `fstat` are
/// thread-safe on one descriptor).
final class SharedInputFile: @unchecked Sendable {
    let path: String
    private let fd: Int32

    /// Opens `path` read-only; nil (with the reason) when it is not a readable regular file.
    static func open(_ path: String) -> Result<SharedInputFile, InputFileRefusal> {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.init("\(path): \(String(cString: strerror(errno)))")) }
        guard FileIdentity(descriptor: fd) != nil else {
            close(fd)
            return .failure(.init("\(path) is not a regular file"))
        }
        return .success(SharedInputFile(path: path, fd: fd))
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// The file's identity now.
    var identity: FileIdentity? { FileIdentity(descriptor: fd) }

    /// Why a reference cannot be read from this file (another identity, a range outside it), nil
    /// when it can. Checked on the loop before a shard is accepted.
    func refusal(_ ref: Message.ScoreShardReference, maxLength: Int) -> String? {
        guard let now = identity else { return "the input file cannot be examined" }
        let named = FileIdentity(device: ref.device, inode: ref.inode, size: ref.size, modifiedNanoseconds: ref.modifiedNanoseconds)
        guard now == named else { return "the reference does not name this worker's input file as it is now (\(Self.text(named)); the file is \(Self.text(now)))" }
        guard ref.rangeIsInside else { return "bytes \(ref.offset)+\(ref.length) are outside the input file (\(now.size) bytes)" }
        guard Int(ref.length) <= maxLength else { return "a shard of \(ref.length) bytes is over the frame limit \(maxLength)" }
        return nil
    }

    /// The referenced rows, read on a scoring thread; a failure when the file no longer has the
    /// reference's identity or gives fewer bytes (changed or cut since the check on the loop).
    func read(_ ref: Message.ScoreShardReference) -> Result<[UInt8], InputFileRefusal> {
        let named = FileIdentity(device: ref.device, inode: ref.inode, size: ref.size, modifiedNanoseconds: ref.modifiedNanoseconds)
        guard identity == named else { return .failure(.init("the input file changed since the shard was sent")) }
        var failure: String?
        let length = Int(ref.length)
        let bytes = [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
            var done = 0
            while done < length {
                let n = pread(fd, buffer.baseAddress! + done, length - done, off_t(ref.offset) + off_t(done))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? "reading the input file: \(String(cString: strerror(errno)))" : "the input file is shorter than the shard's range: it was cut"
                    break
                }
                done += n
            }
            initialized = done
        }
        if let failure { return .failure(.init(failure)) }
        return .success(bytes)
    }

    private static func text(_ i: FileIdentity) -> String {
        "device \(i.device), inode \(i.inode), \(i.size) bytes, modified \(i.modifiedNanoseconds) ns"
    }
}

/// Why the input file cannot serve a reference (sent as ERROR 17's text).
struct InputFileRefusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
