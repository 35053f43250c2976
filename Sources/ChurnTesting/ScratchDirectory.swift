import Foundation

/// Temporary directories for tests, all under one directory per test process that is removed when the
/// process exits, so a test that fails or forgets to clean up leaves nothing behind in `/tmp`.
/// Set `CHURN_KEEP_TEST_FILES=1` to keep them for a post-mortem (the path is `churn-tests-PID`).
public enum ScratchDirectory {
    /// This process's parent directory of every scratch directory.
    public static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("churn-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if ProcessInfo.processInfo.environment["CHURN_KEEP_TEST_FILES"] == nil {
            atexit { try? FileManager.default.removeItem(at: ScratchDirectory.root) }
        }
        return url
    }()

    /// A fresh, empty directory named `prefix-UUID` under `root`.
    public static func make(_ prefix: String) -> URL {
        let url = root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
