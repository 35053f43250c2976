import Foundation

/// A run of whole CSV records cut from a file, with the line its first record starts on.
public struct CSVChunk: Sendable {
    public var index: Int
    public var firstLine: UInt64
    public var bytes: [UInt8]
    /// Physical lines the chunk spans (newline bytes in it).
    public var lineCount: UInt64
    /// Where `bytes` start in the file (a `--local` worker reads them there itself).
    public var fileOffset: UInt64 = 0
}

/// What identifies a file's contents for as long as it is not rewritten: device, inode, size and
/// modification time, from `fstat`. A `--local` worker reads shards from the input file only while
/// the file it opened still has the identity its coordinator saw.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: UInt64
    /// Modification time in nanoseconds since 1970.
    public var modifiedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: UInt64, modifiedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
    }

    /// The identity of an open regular file, nil for anything else (a pipe, a directory) or on error.
    public init?(descriptor fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        self.init(status: st)
    }

    /// The identity `fstat` described, nil when it is not a regular file.
    public init?(status st: stat) {
        guard (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: UInt64(st.st_size),
                  modifiedNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }
}

/// Streams a CSV file as chunks of whole records (about `chunkSize` bytes each) after reading its
/// header. Memory use is one chunk plus a partial record, whatever the file's size.
public final class ChunkReader {
    public let path: String
    public let displayName: String
    /// Header fields, BOM and quotes removed.
    public private(set) var header: [String]
    /// Bytes of the file read so far.
    public private(set) var bytesRead: Int = 0
    public let fileSize: Int
    /// The file's identity when it was opened; nil when it is not a regular file (a pipe).
    public let identity: FileIdentity?
    public let chunkSize: Int
    /// A single record may not exceed this many bytes.
    public let maxRecordSize: Int

    private let fd: Int32
    private var carry: [UInt8] = []
    private var nextLine: UInt64
    private var nextOffset: UInt64 = 0
    private var nextIndex = 0
    private var eof = false

    /// Opens `path` and reads its header.
    /// - Parameter displayName: the name used in errors (defaults to the path).
    public init(path: String, displayName: String? = nil, chunkSize: Int = 4 << 20, maxRecordSize: Int = 64 << 20) throws {
        self.path = path
        self.displayName = displayName ?? path
        self.chunkSize = max(chunkSize, 1024)
        self.maxRecordSize = maxRecordSize
        let name = displayName ?? path
        var st = stat()
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw InputError(file: name, String(cString: strerror(errno))) }
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) != S_IFDIR else {
            close(fd)
            throw InputError(file: name, "is a directory, not a file")
        }
        fileSize = Int(st.st_size)
        identity = FileIdentity(status: st)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        nextLine = 1
        header = []
        eof = false
        // Read until the header record is complete.
        var buffer: [UInt8] = []
        var headerEnd: Int? = nil
        while headerEnd == nil {
            let before = buffer.count
            // Grow geometrically: each read at least doubles the buffer, so a long header line costs
            // linear time in copies and rescans, not quadratic.
            try readMore(into: &buffer, atLeast: min(max(64 << 10, buffer.count), maxRecordSize + 1 - buffer.count))
            headerEnd = buffer.withUnsafeBytes { CSVBoundary.endOfFirstRecord($0) }
            if headerEnd == nil && buffer.count == before {
                if buffer.isEmpty { close(fd); throw InputError(file: name, "is empty: no header line") }
                headerEnd = buffer.count  // header without a trailing newline
            }
            if buffer.count > maxRecordSize { close(fd); throw InputError(file: name, line: 1, "header line is longer than \(maxRecordSize) bytes") }
        }
        var start = 0
        if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
        let end = headerEnd!
        var fields: [String] = []
        var headerLines: UInt64 = 0
        var bad = false
        buffer.withUnsafeBytes { raw in
            let slice = UnsafeRawBufferPointer(rebasing: raw[start..<end])
            var scanner = CSVRecordScanner(slice, firstLine: 1)
            defer { scanner.deallocate() }
            let r = scanner.nextRecord()
            bad = r.error != nil
            fields = (0..<scanner.fieldCount).map { scanner.string($0).trimmingCharacters(in: .whitespaces) }
            headerLines = CSVBoundary.countNewlines(slice)
        }
        if bad || fields.isEmpty || (fields.count == 1 && fields[0].isEmpty) {
            close(fd)
            throw InputError(file: name, line: 1, "cannot read the header line")
        }
        var seen = Set<String>()
        for f in fields where !seen.insert(f).inserted {
            close(fd)
            throw InputError(file: name, line: 1, column: "'\(f)'", "appears twice in the header")
        }
        header = fields
        nextLine = 1 + headerLines
        nextOffset = UInt64(end)
        carry = Array(buffer[end...])
    }

    deinit { close(fd) }

    /// Appends up to `atLeast` bytes read from the file (fewer only at its end).
    private func readMore(into buffer: inout [UInt8], atLeast: Int) throws {
        let old = buffer.count
        var failure: Int32 = 0
        var grown = [UInt8](unsafeUninitializedCapacity: old + atLeast) { raw, initialized in
            if old > 0 { _ = buffer.withUnsafeBytes { memcpy(raw.baseAddress!, $0.baseAddress!, old) } }
            var filled = 0
            while filled < atLeast {
                let n = read(fd, raw.baseAddress! + old + filled, atLeast - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if n == 0 { eof = true; break }
                filled += n
            }
            initialized = old + filled
        }
        if failure != 0 { throw InputError(file: displayName, "read failed: \(String(cString: strerror(failure)))") }
        bytesRead += grown.count - old
        swap(&buffer, &grown)
    }

    /// The next chunk of whole records (at most `chunkSize` bytes unless one record is longer), or
    /// nil at the end of the file. A final record without a trailing newline is returned too.
    public func nextChunk() throws -> CSVChunk? {
        var buffer = carry
        carry = []
        var target = chunkSize
        while true {
            if !eof && buffer.count < target { try readMore(into: &buffer, atLeast: target - buffer.count) }
            if buffer.isEmpty { return nil }
            let window = min(buffer.count, target)
            if let end = buffer.withUnsafeBytes({ CSVBoundary.endOfLastRecord(UnsafeRawBufferPointer(rebasing: $0[0..<window])) }) {
                carry = Array(buffer[end...])
                buffer.removeLast(buffer.count - end)
                return emit(buffer)
            }
            if eof && buffer.count <= target { return emit(buffer) }  // the last record, no newline after it
            // One record longer than the chunk: look further.
            target = max(target * 2, buffer.count)
            if target > maxRecordSize {
                throw InputError(file: displayName, line: nextLine, "a record is longer than \(maxRecordSize) bytes (unterminated quote?)")
            }
        }
    }

    private func emit(_ bytes: [UInt8]) -> CSVChunk {
        let lines = bytes.withUnsafeBytes { CSVBoundary.countNewlines($0) }
        let chunk = CSVChunk(index: nextIndex, firstLine: nextLine, bytes: bytes, lineCount: lines, fileOffset: nextOffset)
        nextIndex += 1
        nextLine += lines
        nextOffset += UInt64(bytes.count)
        return chunk
    }
}
