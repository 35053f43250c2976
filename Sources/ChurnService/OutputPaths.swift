import Foundation

/// Refuses, before anything is written, output paths that would overwrite a file the job reads
/// (the results at the input, the report at the model, …) or another output of the same job.
/// The labels name things as the caller's user knows them (`--out` on the command line).
public enum OutputPaths {
    /// - Parameters:
    ///   - inputs: (what it is, path) of every file the run reads.
    ///   - outputs: (option, path) of every file the run writes.
    public static func check(inputs: [(String, String)], outputs: [(String, String)]) throws {
        var seen: [(String, String, FileKey)] = []
        for (role, path) in inputs {
            if let key = FileKey(path) { seen.append((role, path, key)) }
        }
        for (option, path) in outputs {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw ServiceError("\(option) \(path): is a directory; give a file name")
            }
            guard let key = FileKey(path) else {
                throw ServiceError("\(option) \(path): the directory \(Self.directory(of: path)) does not exist")
            }
            if let clash = seen.first(where: { $0.2 == key }) {
                throw ServiceError("\(option) \(path) would overwrite \(clash.0) \(clash.1); choose another path")
            }
            seen.append((option, path, key))
        }
    }

    static func directory(of path: String) -> String {
        let d = (path as NSString).deletingLastPathComponent
        return d.isEmpty ? "." : d
    }

    /// What a path refers to: the device and inode of an existing file (so hard links and
    /// symbolic links compare equal), else the resolved directory plus the name.
    private enum FileKey: Equatable {
        case inode(UInt64, UInt64)
        case path(String)

        init?(_ path: String) {
            var st = stat()
            if stat(path, &st) == 0 {
                self = .inode(UInt64(st.st_dev), UInt64(st.st_ino))
                return
            }
            guard let resolved = realpath(OutputPaths.directory(of: path), nil) else { return nil }
            defer { free(resolved) }
            self = .path(String(cString: resolved) + "/" + (path as NSString).lastPathComponent)
        }
    }
}
