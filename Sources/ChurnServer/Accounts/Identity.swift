/// Who is making the current request, once the `Authorization` middleware has checked the
/// credentials. Pages read it (through `Identity.current`) to show the name, the sign-out form
/// and the CSRF token; routes read `context.identity`.
public struct Identity: Sendable {
    public enum Via: String, Sendable { case session, token }

    public var userId: Int64
    public var name: String
    public var role: Role
    public var via: Via
    /// The session's CSRF token (nil for API tokens, which need none: a browser never sends them by itself).
    public var csrf: String?

    /// The identity of the request this task serves (set by `Authorization` around the route).
    @TaskLocal public static var current: Identity?
}
