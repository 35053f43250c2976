import ArgumentParser
import ChurnCore
import ChurnServer
import Foundation

/// `--data-dir`, shared by the account commands: the accounts live in `DIR/history.sqlite`.
struct AccountsLocation: ParsableArguments {
    @Option(help: "Data directory of churn serve (accounts live in its history.sqlite).")
    var dataDir: String = ServerConfiguration.defaultDataDirectory

    func open() throws -> Accounts {
        try Accounts.open(dataDirectory: (dataDir as NSString).expandingTildeInPath)
    }
}

/// Reads one password line from standard input (for `--password-stdin`).
func readPasswordLine() throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIError("--password-stdin: no password on standard input")
    }
    return line.hasSuffix("\r") ? String(line.dropLast()) : line
}

/// `churn users add|list|passwd|role|remove`: dashboard accounts.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage the dashboard's accounts (roles: viewer, analyst, admin).",
        subcommands: [Add.self, List.self, Passwd.self, SetRole.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; the password is read from standard input.")
        @Argument(help: "User name (letters, digits, '.', '_', '@', '-').") var name: String
        @Option(help: "viewer, analyst or admin.") var role: String
        @Flag(help: "Read the password (one line, at least 10 characters) from standard input.") var passwordStdin = false
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                guard let role = Role(rawValue: role) else { throw CLIError("--role: '\(role)' is not viewer, analyst or admin") }
                guard passwordStdin else { throw CLIError("pass --password-stdin and the password on standard input") }
                try location.open().addUser(name: name, role: role, password: try readPasswordLine())
                print("added \(name) (\(role.rawValue))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users and their roles.")
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                for user in try location.open().users() {
                    print("\(user.name)\t\(user.role)\t\(ISO8601DateFormatter().string(from: user.createdAt))")
                }
            }
        }
    }

    struct Passwd: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password, read from standard input.")
        @Argument var name: String
        @Flag(help: "Read the new password from standard input.") var passwordStdin = false
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                guard passwordStdin else { throw CLIError("pass --password-stdin and the password on standard input") }
                try location.open().setPassword(name: name, password: try readPasswordLine())
                print("password of \(name) changed")
            }
        }
    }

    struct SetRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "role", abstract: "Give a user another role (the only admin cannot be made anything else).")
        @Argument var name: String
        @Option(help: "viewer, analyst or admin.") var role: String
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                guard let newRole = ChurnServer.Role(rawValue: role) else { throw CLIError("--role: '\(role)' is not viewer, analyst or admin") }
                try location.open().setRole(name: name, role: newRole)
                print("\(name) is \(newRole.rawValue)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a user with their API tokens and sessions (not the only admin).")
        @Argument var name: String
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                try location.open().removeUser(name: name)
                print("removed \(name)")
            }
        }
    }
}

/// `churn tokens create|list|revoke`: API tokens (`Authorization: Bearer TOKEN`).
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Manage API tokens; a token acts with its user's role.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token. It is printed once, alone on the last line; only its hash is kept.")
        @Option(help: "The user the token acts as.") var user: String
        @Option(help: "What the token is for.") var label: String = ""
        @Option(help: "Lifetime, e.g. 90d or 12h (default: no expiry).") var expires: String?

        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                var lifetime: TimeInterval?
                if let expires {
                    guard let s = DurationText.seconds(expires, bareUnitSeconds: 86_400), s > 0 else {
                        throw CLIError("--expires: '\(expires)' is not a duration such as 90d or 12h")
                    }
                    lifetime = s
                }
                let made = try location.open().createToken(user: user, label: label, lifetime: lifetime)
                print("token \(made.id) for \(user)\(lifetime.map { ", expires in \(DurationText.format($0))" } ?? ""); it is shown only now:")
                print(made.token)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")
        @Flag(help: "An array of objects: id, user, label, created, expires, revoked.") var json = false
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                let tokens = try location.open().tokens()
                let iso = ISO8601DateFormatter()
                if json {
                    let objects: [[String: Any]] = tokens.map {
                        ["id": $0.id, "user": $0.userName, "label": $0.label, "created": iso.string(from: $0.createdAt),
                         "expires": $0.expiresAt.map { iso.string(from: $0) } ?? NSNull(),
                         "revoked": $0.revokedAt.map { iso.string(from: $0) } ?? NSNull()]
                    }
                    print(String(decoding: try JSONSerialization.data(withJSONObject: objects, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                    return
                }
                for t in tokens {
                    let state = t.state(at: Date()).rawValue
                    print("\(t.id)\t\(t.userName)\t\(state)\t\(t.label)")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; the next request with it answers 401.")
        @Argument(help: "The token's id (churn tokens list).") var id: Int64
        @OptionGroup var location: AccountsLocation

        func run() throws {
            try runReportingErrors {
                try location.open().revokeToken(id: id)
                print("revoked token \(id)")
            }
        }
    }
}

/// `churn audit [--since 7d]`: the audit log, oldest first.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the audit log: sign-ins and failures, uploads, runs, offers, user and token changes.")
    @Option(help: "How far back, e.g. 7d, 12h (a bare number is days).") var since: String = "7d"
    @OptionGroup var location: AccountsLocation

    func run() throws {
        try runReportingErrors {
            guard let seconds = DurationText.seconds(since, bareUnitSeconds: 86_400) else {
                throw CLIError("--since: '\(since)' is not a duration such as 7d or 12h")
            }
            let iso = ISO8601DateFormatter()
            for e in try location.open().audit(since: Date().addingTimeInterval(-seconds)) {
                let fields = [iso.string(from: e.at), e.actor, e.address, e.action, e.detail]
                // Control characters (a terminal escape typed into the sign-in form) print as '?'.
                print(fields.map { String($0.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) }) }.joined(separator: "\t"))
            }
        }
    }
}
