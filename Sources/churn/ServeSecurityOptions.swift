import ArgumentParser
import ChurnCore
import ChurnServer
import Foundation

/// `churn serve`'s options for accounts and transport security, and the first-start check.
struct ServeSecurityOptions: ParsableArguments {
    @Option(help: "PEM certificate chain: serve HTTPS only (with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "A session ends after this long without a request.") var sessionIdle: String = "30m"
    @Option(help: "A session ends this long after sign-in in any case.") var sessionLifetime: String = "12h"
    @Option(help: "First wait after 5 failed sign-ins on an account or address; doubles per further failure.") var loginBackoff: String = "30s"
    @Flag(help: "Behind a reverse proxy on this machine: trust its X-Forwarded-For and X-Forwarded-Proto.") var behindProxy = false
    @Flag(help: "Print every route with the least role that may call it, as JSON, and exit.") var listRoutes = false

    func printRoutes() {
        let rules = AccessRules.all.map { ["method": $0.method.rawValue, "path": $0.path, "access": $0.access.description, "api": $0.isAPI] as [String: Any] }
        let data = try! JSONSerialization.data(withJSONObject: rules, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    func apply(to configuration: inout ServerConfiguration) throws {
        func duration(_ text: String, _ option: String) throws -> TimeInterval {
            guard let s = DurationText.seconds(text), s > 0 else { throw CLIError("--\(option): '\(text)' is not a duration such as 30m or 12h") }
            return s
        }
        configuration.security.sessionIdle = try duration(sessionIdle, "session-idle")
        configuration.security.sessionLifetime = try duration(sessionLifetime, "session-lifetime")
        configuration.security.loginBackoff = try duration(loginBackoff, "login-backoff")
        configuration.security.behindProxy = behindProxy
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case let (cert?, key?):
            for path in [cert, key] where !FileManager.default.isReadableFile(atPath: path) {
                throw CLIError("\(path): cannot read this TLS file")
            }
            configuration.tlsCertificatePath = cert
            configuration.tlsKeyPath = key
            configuration.security.tls = true
        default:
            throw CLIError("--tls-cert and --tls-key go together")
        }
        // First start: with no accounts, only this machine may reach the server.
        let users = try Accounts.open(dataDirectory: configuration.dataDirectory).userCount()
        if users == 0 {
            let create = "printf '%s\\n' 'A-LONG-PASSWORD' | churn users add admin --role admin --password-stdin --data-dir \(configuration.dataDirectory)"
            guard Self.isLoopback(configuration.host) else {
                throw CLIError("""
                    there are no accounts yet, and --listen \(configuration.host) is reachable from other machines: refusing to start.
                    Create the first admin, then start again:
                      \(create)
                    """)
            }
            printError("churn serve: no accounts yet; nobody can sign in until you create one:\n  \(create)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
