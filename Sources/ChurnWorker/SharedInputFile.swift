import ChurnIO
import ChurnWire
import Foundation

/// The one input file a `--local` worker may read shards from (SCORE_SHARD_REF, protocol version 6):
/// opened once at start-up from the path its coordinator put on the command line (`--input-file`),
/// never from a path a peer names.
///
/// Rows are mapped, not copied (`MappedRanges`, whose SIGBUS handler keeps a file cut while mapped
/// from killing the worker); a shard whose file changed or was cut is answered with ERROR 17
/// INPUT_REFUSED like any other mismatch, never scored from what was left.
///
/// Threading: immutable after init; `withRows` runs on scoring threads (`mmap`, `pread` and `fstat`
/// are thread-safe on one descriptor).
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
        let named = Self.identity(named: ref)
        guard now == named else { return "the reference does not name this worker's input file as it is now (\(Self.text(named)); the file is \(Self.text(now)))" }
        guard ref.rangeIsInside else { return "bytes \(ref.offset)+\(ref.length) are outside the input file (\(now.size) bytes)" }
        guard Int(ref.length) <= maxLength else { return "a shard of \(ref.length) bytes is over the frame limit \(maxLength)" }
        return nil
    }

    /// Calls `body` with the referenced rows, on a scoring thread: mapped read-only (no copy; see
    /// `MappedRanges` for a file cut while mapped), or read with `pread` when the range cannot be
    /// mapped. A failure, and `body`'s value dropped, when the file no longer has the reference's
    /// identity before or after, gives fewer bytes, or lost pages while mapped (changed or cut since
    /// the check on the loop).
    func withRows<T>(_ ref: Message.ScoreShardReference, _ body: (UnsafeRawBufferPointer) -> T) -> Result<T, InputFileRefusal> {
        let named = Self.identity(named: ref)
        guard identity == named else { return .failure(.init("the input file changed since the shard was sent")) }
        let value: T
        if let mapped = MappedRanges.withMapping(fd: fd, offset: ref.offset, length: Int(ref.length), body) {
            guard !mapped.cut else { return .failure(.init("the input file was cut while the shard was read")) }
            value = mapped.value
        } else {
            switch read(ref) {
            case .success(let rows): value = rows.withUnsafeBytes(body)
            case .failure(let refusal): return .failure(refusal)
            }
        }
        guard identity == named else { return .failure(.init("the input file changed while the shard was read")) }
        return .success(value)
    }

    /// The referenced rows, copied with `pread`; a failure when the file gives fewer bytes.
    private func read(_ ref: Message.ScoreShardReference) -> Result<[UInt8], InputFileRefusal> {
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

    /// The file identity a reference names.
    private static func identity(named ref: Message.ScoreShardReference) -> FileIdentity {
        FileIdentity(device: ref.device, inode: ref.inode, size: ref.size, modifiedNanoseconds: ref.modifiedNanoseconds)
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
