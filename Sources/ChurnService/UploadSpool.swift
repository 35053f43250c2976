import Foundation

/// Writes an uploaded byte stream to a file in the data directory, so that scoring reads it like any
/// other input (and a spreadsheet keeps its extension).
enum UploadSpool {
    static func spool(_ bytes: AsyncThrowingStream<[UInt8], Error>, fileName: String, directory: String, jobId: Int,
                      isCancelled: @Sendable () -> Bool) async throws -> String {
        // One directory per job keeps the upload's own name, which history uses to find earlier runs.
        let jobDirectory = "\(directory)/job-\(jobId)-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: jobDirectory, withIntermediateDirectories: true)
        let base = (fileName as NSString).lastPathComponent
        let safe = String(base.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" })
        let path = "\(jobDirectory)/\(safe.isEmpty || safe.hasPrefix(".") ? "upload.csv" : safe)"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw ServiceError("\(path): cannot be created: \(String(cString: strerror(errno)))") }
        do {
            defer { close(fd) }
            for try await chunk in bytes {
                if isCancelled() { throw JobCancelled() }
                try chunk.withUnsafeBytes { raw in
                    var done = 0
                    while done < raw.count {
                        let n = write(fd, raw.baseAddress! + done, raw.count - done)
                        if n < 0 {
                            if errno == EINTR { continue }
                            throw ServiceError("\(path): write failed: \(String(cString: strerror(errno)))")
                        }
                        done += n
                    }
                }
            }
        } catch {
            remove(path)
            throw error
        }
        return path
    }

    /// Removes a spooled upload and its job directory.
    static func remove(_ path: String) {
        unlink(path)
        rmdir((path as NSString).deletingLastPathComponent)
    }
}
