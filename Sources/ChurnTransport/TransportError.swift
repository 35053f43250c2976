import CLibUV

/// A libuv failure: the negative error code with libuv's own name and text, plus what was being done.
///
/// `name` is the portable thing to match on (`"ECONNREFUSED"`, `"ETIMEDOUT"`, `"EADDRINUSE"`, …).
public struct TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libuv's (negative) error code, e.g. `UV_ECONNREFUSED.rawValue`.
    public let code: Int32
    /// `uv_err_name(code)`, e.g. `"ECONNREFUSED"`.
    public let name: String
    /// `uv_strerror(code)`, e.g. `"connection refused"`.
    public let message: String
    /// What failed, e.g. `"connect 127.0.0.1:9001"`.
    public let context: String

    /// Builds the error from a libuv return or status code.
    public init(code: Int32, context: String) {
        self.code = code
        self.name = String(cString: uv_err_name(code))
        self.message = String(cString: uv_strerror(code))
        self.context = context
    }

    public var description: String { "\(context): \(name) (\(message))" }

    static let timedOut = Int32(UV_ETIMEDOUT.rawValue)
    static let cancelled = Int32(UV_ECANCELED.rawValue)
}
