import Foundation

/// The cluster's shared secret, read from a file that only its owner may read.
public enum SecretFile {
    /// The largest secret file accepted (a generated secret is 65 bytes); a bigger file is refused
    /// unread rather than held in memory.
    public static let maxBytes = 4096

    /// The secret's bytes (one trailing newline ignored). Refuses a file that its group or other
    /// users can read or write, one over `maxBytes`, and an empty secret.
    public static func read(path: String) throws -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw InputError(file: path, "cannot read the secret file: \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw InputError(file: path, String(format: "secret file is accessible to other users (mode %o); run: chmod 600 %@", st.st_mode & 0o777, path))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw InputError(file: path, "the secret file is not a regular file") }
        guard st.st_size <= maxBytes else {
            throw InputError(file: path, "the secret file holds \(st.st_size) bytes; a secret may be at most \(maxBytes)")
        }
        // Read at most one byte past the cap, whatever the file grew to since stat.
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError(file: path, "cannot read the secret file") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw InputError(file: path, "cannot read the secret file: \(error)")
        }
        guard data.count <= maxBytes else {
            throw InputError(file: path, "the secret file holds more than \(maxBytes) bytes; a secret may be at most \(maxBytes)")
        }
        var bytes = [UInt8](data)
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        guard !bytes.isEmpty else { throw InputError(file: path, "the secret file is empty") }
        return bytes
    }

    /// Writes a fresh random secret (hex) readable by its owner only.
    public static func create(path: String) throws {
        var rng = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw InputError(file: path, "cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let line = Array((hex + "\n").utf8)
        guard write(fd, line, line.count) == line.count else { throw InputError(file: path, "cannot write the secret") }
    }
}
