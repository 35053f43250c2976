import Foundation

/// Where to deliver: `smtp://[user@]host[:port]` (STARTTLS when the server offers it) or
/// `smtps://[user@]host[:port]` (TLS from the first byte).
public struct SMTPURL: Equatable, Sendable, CustomStringConvertible {
    public var implicitTLS: Bool
    public var user: String?
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        let scheme: String
        if text.hasPrefix("smtp://") { scheme = "smtp" } else if text.hasPrefix("smtps://") { scheme = "smtps" } else { return nil }
        var rest = String(text.dropFirst(scheme.count + 3))
        if rest.hasSuffix("/") { rest.removeLast() }
        guard !rest.contains("/"), !rest.contains("?") else { return nil }
        if let at = rest.lastIndex(of: "@") {
            let u = String(rest[..<at])
            guard !u.isEmpty else { return nil }
            user = u.removingPercentEncoding ?? u
            rest = String(rest[rest.index(after: at)...])
        }
        implicitTLS = scheme == "smtps"
        var hostPart = rest
        var port = implicitTLS ? 465 : 25
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            hostPart = String(rest[..<colon])
        }
        guard !hostPart.isEmpty, !hostPart.contains(where: { $0 == " " || $0 == "@" }) else { return nil }
        host = hostPart
        self.port = port
    }

    /// The URL libcurl connects to, without the user (which goes in separately with its password).
    public var curlURL: String { "\(implicitTLS ? "smtps" : "smtp")://\(host):\(port)" }

    public var description: String { "\(implicitTLS ? "smtps" : "smtp")://\(user.map { "\($0)@" } ?? "")\(host):\(port)" }
}
