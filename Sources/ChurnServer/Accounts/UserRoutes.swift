import ChurnCore
import Foundation
import Hummingbird
import NIOCore

/// The admins' account pages: `GET /users` and the forms it posts (add a user, change a role, set a
/// password, remove a user; create and revoke API tokens). Each change goes through `Accounts`, the
/// same code as `churn users` and `churn tokens`, and is audited with the admin's name and address.
/// Their access (admin only) is in `AccessRules.userAdmin`.
struct UserRoutes {
    let control: AccessControl

    static let paths = [
        "/users", "/users/{name}/role", "/users/{name}/password", "/users/{name}/remove", "/tokens", "/tokens/{id}/revoke",
    ]

    func register(on router: Router<DashboardContext>) {
        router.get("/users") { request, _ in try page(message: request.uri.queryParameters.get("message"), error: nil) }
        router.post("/users") { request, context in
            let fields = try await Self.fields(request)
            guard let role = Role(rawValue: fields["role"] ?? "") else { return try page(error: "Choose viewer, analyst or admin.") }
            let name = fields["name"] ?? "", password = fields["password"] ?? "", who = actor(request, context)
            return try await change("Added \(name) (\(role.rawValue)).") {
                try control.accounts.addUser(name: name, role: role, password: password, actor: who.name, address: who.address)
            }
        }
        router.post("/users/{name}/role") { request, context in
            let name = try context.parameters.require("name"), fields = try await Self.fields(request), who = actor(request, context)
            guard let role = Role(rawValue: fields["role"] ?? "") else { return try page(error: "Choose viewer, analyst or admin.") }
            return try await change("\(name) is \(role.rawValue) from their next request.") {
                try control.accounts.setRole(name: name, role: role, actor: who.name, address: who.address)
            }
        }
        router.post("/users/{name}/password") { request, context in
            let name = try context.parameters.require("name"), fields = try await Self.fields(request), who = actor(request, context)
            let password = fields["password"] ?? ""
            return try await change("Password of \(name) changed; their sessions have ended.") {
                try control.accounts.setPassword(name: name, password: password, actor: who.name, address: who.address)
            }
        }
        router.post("/users/{name}/remove") { request, context in
            let name = try context.parameters.require("name"), fields = try await Self.fields(request), who = actor(request, context)
            guard fields["confirm"] == name else { return try page(error: "To remove \(name), type their name in the box next to Remove.") }
            return try await change("Removed \(name) with their tokens and sessions.") {
                try control.accounts.removeUser(name: name, actor: who.name, address: who.address)
            }
        }
        router.post("/tokens") { request, context in
            let fields = try await Self.fields(request), who = actor(request, context)
            let user = fields["user"] ?? "", label = String((fields["label"] ?? "").prefix(200))
            var lifetime: TimeInterval?
            if let text = fields["expires"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                guard let seconds = DurationText.seconds(text, bareUnitSeconds: 86_400), seconds > 0 else {
                    return try page(error: "Expires in: '\(text)' is not a duration such as 90d or 12h.")
                }
                lifetime = seconds
            }
            do {
                let made = try control.accounts.createToken(user: user, label: label, lifetime: lifetime, actor: who.name, address: who.address)
                var r = PageLayout.page(title: "New token", active: "users",
                                        body: UsersPage.tokenCreated(id: made.id, user: user, token: made.token,
                                                                     expires: lifetime.map(DurationText.format)))
                r.headers[.cacheControl] = "no-store"
                return r
            } catch let error as AccountsError {
                return try page(error: error.description)
            }
        }
        router.post("/tokens/{id}/revoke") { request, context in
            let text = try context.parameters.require("id"), who = actor(request, context)
            guard let id = Int64(text) else { throw HTTPError(.badRequest, message: "token id '\(text)' is not a number") }
            return try await change("Token \(id) revoked.") {
                try control.accounts.revokeToken(id: id, actor: who.name, address: who.address)
            }
        }
    }

    /// The page, with a refusal as a `400`.
    private func page(message: String? = nil, error: String?) throws -> Response {
        var r = PageLayout.page(title: "Users", active: "users",
                                body: UsersPage.render(users: try control.accounts.users(), tokens: try control.accounts.tokens(),
                                                       message: message, error: error))
        if error != nil { r.status = .badRequest }
        return r
    }

    /// Runs an account change off the event loop (a password costs a bcrypt hash, a few hundred
    /// milliseconds), then sends the admin back to the page with `done`, or shows the refusal.
    private func change(_ done: String, _ body: @escaping @Sendable () throws -> Void) async throws -> Response {
        do {
            try await withCheckedThrowingContinuation { (finished: CheckedContinuation<Void, Error>) in
                DispatchQueue.global().async { finished.resume(with: Result { try body() }) }
            }
        } catch let error as AccountsError {
            return try page(error: error.description)
        }
        let query = done.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return Response(status: .seeOther, headers: [.location: "/users?message=" + query])
    }

    private func actor(_ request: Request, _ context: DashboardContext) -> (name: String, address: String) {
        (context.identity?.name ?? "-", control.address(request, context))
    }

    private static func fields(_ request: Request) async throws -> [String: String] {
        var request = request
        return FormFields.parse(String(buffer: try await request.collectBody(upTo: 1 << 16)))
    }
}
