/// A failure of the run store: what was being done, SQLite's own message and result code, and the
/// database file, so that a log line alone is enough to find the problem.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What the store was doing ("open", "insert prediction", "finish run 12", …).
    public var operation: String
    /// `sqlite3_errmsg` text, or the store's own explanation when SQLite was not involved.
    public var message: String
    /// SQLite's extended result code; 0 when the error is not SQLite's.
    public var code: Int32
    /// The database file.
    public var path: String

    public init(operation: String, message: String, code: Int32 = 0, path: String) {
        self.operation = operation
        self.message = message
        self.code = code
        self.path = path
    }

    public var description: String {
        code != 0
            ? "run store \(path): \(operation): \(message) (SQLite code \(code))"
            : "run store \(path): \(operation): \(message)"
    }
}
