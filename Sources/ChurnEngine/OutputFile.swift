import Foundation

/// A results file that appears only when complete: bytes go to a temporary file beside the target,
/// renamed over it on `commit()`; `abort()` (or an error) removes it, so nothing is half-written.
public final class OutputFile {
    public let path: String
    private let temporaryPath: String
    private var fd: Int32
    public private(set) var bytesWritten = 0

    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw OutputError(path: path, message: String(cString: strerror(errno)))
        }
    }

    deinit { if fd >= 0 { abort() } }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ block: ByteBlock) throws {
        if let source = block.fileDescriptor, try copy(from: source, count: block.count) { return }
        try write(block.bytes)
    }

    /// Has the kernel copy the first `count` bytes of the file `source` here (`sendfile`: no copy
    /// through user space, no page faults on a mapping); false, with nothing written, when the kernel
    /// cannot do it for these files, so that the caller writes the bytes itself.
    private func copy(from source: Int32, count: Int) throws -> Bool {
        var offset = off_t(0)
        while Int(offset) < count {
            let n = sendfile(fd, source, &offset, count - Int(offset))
            if n < 0 {
                if errno == EINTR { continue }
                if offset == 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) { return false }
                throw OutputError(path: path, message: "write failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { throw OutputError(path: path, message: "write failed: the source ended after \(offset) of \(count) bytes") }
        }
        bytesWritten += count
        return true
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw OutputError(path: path, message: "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        bytesWritten += bytes.count
    }

    /// Closes and moves the file into place.
    public func commit() throws {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        guard rename(temporaryPath, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw OutputError(path: path, message: "cannot move results into place: \(message)")
        }
    }

    /// Closes and deletes the temporary file.
    public func abort() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}

/// A failure writing an output file, naming it.
public struct OutputError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}
