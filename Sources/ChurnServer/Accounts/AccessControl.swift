import ChurnStore
import Foundation
import Hummingbird

/// The server's side of accounts: the account store, the sessions, the login throttle and
/// the settings that shape them (`ServerConfiguration.security`).
final class AccessControl: Sendable {
    let accounts: Accounts
    let sessions: Sessions
    let throttle: LoginThrottle
    let settings: SecuritySettings

    init(dataDirectory: String, settings: SecuritySettings) throws {
        let store = try AccountStore(path: dataDirectory + "/history.sqlite")
        accounts = Accounts(store: store)
        sessions = Sessions(store: store, idle: settings.sessionIdle, lifetime: settings.sessionLifetime)
        throttle = LoginThrottle(base: settings.loginBackoff)
        self.settings = settings
    }

    static let sessionCookie = "churn_session"
    static let loginCookie = "churn_login"

    /// The identity of a request's credentials: a bearer token if the request has an
    /// `Authorization` header (and then only that), else the session cookie. Nil when neither is valid.
    func identify(_ request: Request) throws -> Identity? {
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else { return nil }
            let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
            guard let user = try accounts.user(bearer: token), let role = Role(rawValue: user.role) else { return nil }
            return Identity(userId: user.id, name: user.name, role: role, via: .token, csrf: nil)
        }
        guard let cookie = Self.cookie(Self.sessionCookie, in: request), let session = try sessions.session(cookie),
              let user = try accounts.store.user(id: session.userId), let role = Role(rawValue: user.role) else { return nil }
        return Identity(userId: user.id, name: user.name, role: role, via: .session, csrf: session.csrf)
    }

    /// The client's address: the peer, or with `--behind-proxy` the last `X-Forwarded-For` entry
    /// that a loopback peer (the proxy) added.
    func address(_ request: Request, _ context: DashboardContext) -> String {
        let peer = context.remoteAddress ?? "-"
        if settings.behindProxy, peer == "127.0.0.1" || peer == "::1",
           let forwarded = request.headers[.init("X-Forwarded-For")!]?.split(separator: ",").last {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return peer
    }

    /// Whether cookies get `Secure`: served over TLS, or (behind a proxy) the proxy says it was HTTPS.
    func secure(_ request: Request) -> Bool {
        settings.tls || (settings.behindProxy && request.headers[.init("X-Forwarded-Proto")!]?.lowercased() == "https")
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite, Path=/, Secure over TLS.
    func setCookie(_ name: String, _ value: String, maxAge: Int, path: String = "/", sameSite: String = "Lax", request: Request) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite)\(secure(request) ? "; Secure" : "")"
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                if pair.hasPrefix(name + "=") { return String(pair.dropFirst(name.count + 1)) }
            }
        }
        return nil
    }
}

/// How sign-in behaves; `churn serve` options set these, tests shorten the durations.
public struct SecuritySettings: Sendable {
    /// A session ends after this long without a request (seconds).
    public var sessionIdle: TimeInterval = 30 * 60
    /// … and this long after sign-in in any case.
    public var sessionLifetime: TimeInterval = 12 * 3600
    /// The first back-off after 5 failed sign-ins (it doubles with each further failure).
    public var loginBackoff: TimeInterval = 30
    /// Served over TLS (cookies get `Secure`).
    public var tls = false
    /// Behind a reverse proxy on this machine: trust its `X-Forwarded-For` and `X-Forwarded-Proto`.
    public var behindProxy = false

    public init() {}
}
