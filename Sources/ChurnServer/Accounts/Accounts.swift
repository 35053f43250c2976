import ChurnStore
import Crypto
import Foundation
import HummingbirdBcrypt

/// Users, passwords, API tokens and the audit log: what `churn users`, `churn tokens`, `churn audit`
/// and the server's sign-in share. Passwords are hashed with bcrypt; API tokens are random
/// 256-bit secrets shown once and stored only as their SHA-256.
public final class Accounts: Sendable {
    public let store: AccountStore
    /// bcrypt's cost (log2 of the rounds). 12 takes a few hundred milliseconds per hash.
    public let bcryptCost: UInt8

    public init(store: AccountStore, bcryptCost: UInt8 = 12) {
        self.store = store
        self.bcryptCost = bcryptCost
    }

    /// The accounts of a data directory (its `history.sqlite`), creating the directory if needed.
    public static func open(dataDirectory: String) throws -> Accounts {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        return Accounts(store: try AccountStore(path: dataDirectory + "/history.sqlite"))
    }

    /// The shortest password accepted.
    public static let minimumPasswordLength = 10

    // MARK: Users

    public func addUser(name: String, role: Role, password: String, actor: String = "cli", address: String = "cli") throws {
        try Self.validate(name: name)
        try Self.validate(password: password)
        do {
            try store.addUser(name: name, role: role.rawValue, passwordHash: Bcrypt.hash(password, cost: bcryptCost))
        } catch let error as AccountStoreError {
            throw AccountsError(error.description)
        }
        audit(actor: actor, action: "user added", detail: "\(name) (\(role.rawValue))", address: address)
    }

    /// Sets a user's password and ends every session they have: whoever knew the old one is signed out.
    public func setPassword(name: String, password: String, actor: String = "cli", address: String = "cli") throws {
        try Self.validate(password: password)
        guard let user = try store.user(named: name), try store.setPasswordHash(name: name, Bcrypt.hash(password, cost: bcryptCost)) else {
            throw AccountsError("no user named '\(name)'")
        }
        let ended = try store.removeSessions(userId: user.id)
        audit(actor: actor, action: "password changed", detail: "\(name)\(ended > 0 ? " (\(ended) session\(ended == 1 ? "" : "s") ended)" : "")", address: address)
    }

    /// Removes a user with their tokens and sessions. The last admin cannot be removed: nobody could
    /// manage the accounts any more.
    public func removeUser(name: String, actor: String = "cli", address: String = "cli") throws {
        guard let user = try store.user(named: name) else { throw AccountsError("no user named '\(name)'") }
        try refuseLosingTheLastAdmin(user, "remove")
        guard try store.removeUser(name: name, keepingOneOf: Role.admin.rawValue) else {
            throw AccountsError("cannot remove \(name): no such user, or they were the only admin left")
        }
        audit(actor: actor, action: "user removed", detail: "\(name) (and their tokens and sessions)", address: address)
    }

    /// Gives a user another role; their sessions and tokens act with it from their next request. The
    /// last admin cannot be made anything else.
    public func setRole(name: String, role: Role, actor: String = "cli", address: String = "cli") throws {
        guard let user = try store.user(named: name) else { throw AccountsError("no user named '\(name)'") }
        guard user.role != role.rawValue else { return }
        if role != .admin { try refuseLosingTheLastAdmin(user, "make \(role.rawValue)") }
        guard try store.setRole(name: name, role.rawValue, keepingOneOf: Role.admin.rawValue) else {
            throw AccountsError("cannot change \(name)'s role: no such user, or they were the only admin left")
        }
        audit(actor: actor, action: "role changed", detail: "\(name): \(user.role) → \(role.rawValue)", address: address)
    }

    private func refuseLosingTheLastAdmin(_ user: AccountStore.User, _ verb: String) throws {
        if user.role == Role.admin.rawValue, try store.userCount(role: Role.admin.rawValue) <= 1 {
            throw AccountsError("cannot \(verb) \(user.name): they are the only admin (make another user admin first)")
        }
    }

    public func users() throws -> [AccountStore.User] { try store.users() }

    public func userCount() throws -> Int { try store.userCount() }

    /// The user whose password this is; nil for an unknown user or a wrong password alike. An
    /// unknown name still costs one bcrypt verification, so the time taken does not tell them apart.
    public func verify(name: String, password: String) throws -> AccountStore.User? {
        guard let user = try store.user(named: name) else {
            _ = Bcrypt.verify(password, hash: Self.decoyHash)
            return nil
        }
        return Bcrypt.verify(password, hash: user.passwordHash) ? user : nil
    }

    /// A bcrypt hash of a random string at cost 12, checked against when the user does not exist.
    private static let decoyHash = Bcrypt.hash(Accounts.randomSecret(), cost: 12)

    static func validate(name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-")
        guard (1...64).contains(name.count), name.allSatisfy(allowed.contains) else {
            throw AccountsError("user name '\(name)': use 1 to 64 letters, digits, '.', '_', '@' or '-'")
        }
    }

    static func validate(password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw AccountsError("the password must have at least \(minimumPasswordLength) characters")
        }
        guard password.utf8.count <= 72 else { throw AccountsError("the password must have at most 72 bytes (bcrypt's limit)") }
    }

    // MARK: Tokens

    /// Creates an API token for `user` and returns its id and the token itself (shown once).
    public func createToken(user name: String, label: String, lifetime: TimeInterval?, actor: String = "cli", address: String = "cli") throws -> (id: Int64, token: String) {
        guard let user = try store.user(named: name) else { throw AccountsError("no user named '\(name)'") }
        let token = "churn_" + Self.randomSecret()
        let id = try store.addToken(userId: user.id, label: label, tokenHash: Self.tokenHash(token),
                                    expiresAt: lifetime.map { Date().addingTimeInterval($0) })
        audit(actor: actor, action: "token created", detail: "token \(id) for \(name)\(label.isEmpty ? "" : " (\(label))")", address: address)
        return (id, token)
    }

    public func tokens() throws -> [AccountStore.Token] { try store.tokens() }

    public func revokeToken(id: Int64, actor: String = "cli", address: String = "cli") throws {
        guard try store.revokeToken(id: id) else { throw AccountsError("no token \(id) that is not revoked already") }
        audit(actor: actor, action: "token revoked", detail: "token \(id)", address: address)
    }

    /// The user a bearer token belongs to, when the token exists, is not revoked and has not expired.
    public func user(bearer token: String, now: Date = Date()) throws -> AccountStore.User? {
        guard token.hasPrefix("churn_"), token.count < 200, let record = try store.token(hash: Self.tokenHash(token)),
              record.state(at: now) == .active else { return nil }
        return try store.user(id: record.userId)
    }

    static func tokenHash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// 256 random bits from the system's CSPRNG, base64url without padding.
    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    // MARK: Audit

    /// Appends to the audit log; a failure to write it is printed to stderr, never hidden.
    public func audit(actor: String, action: String, detail: String, address: String) {
        do {
            try store.appendAudit(.init(at: Date(), actor: String(actor.prefix(100)), action: action,
                                        detail: String(detail.prefix(1000)), address: address))
        } catch {
            FileHandle.standardError.write(Data("churn: audit log: \(error)\n".utf8))
        }
    }

    public func audit(since: Date) throws -> [AccountStore.AuditEntry] { try store.audit(since: since) }
}

/// Compares two secrets in time that depends only on their lengths.
func constantTimeEquals(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<x.count { difference |= x[i] ^ y[i] }
    return difference == 0
}

/// A refusal from `Accounts`, worded for the person at the command line.
public struct AccountsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
