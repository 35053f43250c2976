import ChurnCore
import ChurnReport
import ChurnStore
import Foundation
import Hummingbird
import NIOCore

/// `GET/POST /login`, `POST /logout` and the admins' audit page `GET /audit`. Their access is in
/// `AccessRules.accounts`.
struct AccountRoutes {
    let control: AccessControl

    func register(on router: Router<DashboardContext>) {
        router.get("/login") { request, context in
            if context.identity != nil { return Response(status: .seeOther, headers: [.location: "/"]) }
            return loginPage(request, status: .ok, message: nil, next: request.uri.queryParameters.get("next"))
        }
        router.post("/login") { request, context in try await signIn(request, context) }
        router.post("/logout") { request, context in
            if let cookie = AccessControl.cookie(AccessControl.sessionCookie, in: request) { try control.sessions.end(cookie) }
            if let identity = context.identity {
                control.accounts.audit(actor: identity.name, action: "sign-out", detail: "", address: control.address(request, context))
            }
            var headers: HTTPFields = [.location: "/login", .cacheControl: "no-store"]
            headers[.setCookie] = control.setCookie(AccessControl.sessionCookie, "", maxAge: 0, request: request)
            return Response(status: .seeOther, headers: headers)
        }
        router.get("/audit") { request, _ in
            let sinceText = request.uri.queryParameters.get("since") ?? "7d"
            guard let seconds = DurationText.seconds(sinceText, bareUnitSeconds: 86_400) else {
                throw HTTPError(.badRequest, message: "since: '\(sinceText)' is not a duration such as 7d or 12h")
            }
            let entries = try control.accounts.audit(since: Date().addingTimeInterval(-seconds))
            return PageLayout.page(title: "Audit log", active: "audit", body: AuditPage.render(entries.reversed(), since: sinceText))
        }
    }

    private func signIn(_ request: Request, _ context: DashboardContext) async throws -> Response {
        var request = request
        let fields = FormFields.parse(String(buffer: try await request.collectBody(upTo: 1 << 16)))
        let next = fields["next"]
        guard let sent = fields["csrf"], let expected = AccessControl.cookie(AccessControl.loginCookie, in: request),
              constantTimeEquals(sent, expected) else {
            return loginPage(request, status: .forbidden, message: "The sign-in form has expired; please try again.", next: next)
        }
        let name = fields["username"] ?? "", password = fields["password"] ?? ""
        let address = control.address(request, context)
        if let wait = control.throttle.wait(user: name, address: address) {
            control.accounts.audit(actor: name.isEmpty ? "-" : name, action: "sign-in refused", detail: "too many failures: wait \(Int(wait)) s", address: address)
            var r = loginPage(request, status: .tooManyRequests, message: "Too many failed sign-ins. Try again in \(Int(wait)) seconds.", next: next)
            r.headers[.retryAfter] = String(Int(wait))
            return r
        }
        // Counted as a failure before the check, so that parallel guesses cannot slip past the
        // throttle while bcrypt runs; a success clears it. bcrypt takes a few hundred milliseconds:
        // on a Dispatch thread, not the server's task threads.
        control.throttle.failed(user: name, address: address)
        let accounts = control.accounts
        let verified = try await withCheckedThrowingContinuation { (done: CheckedContinuation<AccountStore.User?, Error>) in
            DispatchQueue.global().async { done.resume(with: Result { try accounts.verify(name: name, password: password) }) }
        }
        guard let user = verified else {
            control.accounts.audit(actor: name.isEmpty ? "-" : name, action: "sign-in failed", detail: "wrong user name or password", address: address)
            return loginPage(request, status: .unauthorized, message: "Wrong user name or password.", next: next)
        }
        control.throttle.succeeded(user: name, address: address)
        let session = try control.sessions.create(userId: user.id)
        control.accounts.audit(actor: user.name, action: "sign-in", detail: "role \(user.role)", address: address)
        var headers: HTTPFields = [.location: Self.safeNext(next), .cacheControl: "no-store"]
        headers.append(.init(name: .setCookie, value: control.setCookie(AccessControl.sessionCookie, session.cookie,
                                                                        maxAge: Int(control.settings.sessionLifetime), request: request)))
        headers.append(.init(name: .setCookie, value: control.setCookie(AccessControl.loginCookie, "", maxAge: 0, path: "/login",
                                                                        sameSite: "Strict", request: request)))
        return Response(status: .seeOther, headers: headers)
    }

    /// Only a path on this server (`/runs/3`), never `//elsewhere` or `https://…`.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }

    /// The sign-in form, with a fresh double-submit CSRF value in a cookie and a hidden field.
    private func loginPage(_ request: Request, status: HTTPResponse.Status, message: String?, next: String?) -> Response {
        let csrf = Accounts.randomSecret()
        let body = """
            <section class="card login"><h2>Sign in</h2>
            \(message.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? "")
            <form method="post" action="/login" id="login-form">
            <input type="hidden" name="csrf" value="\(csrf)">
            <input type="hidden" name="next" value="\(HTML.escape(Self.safeNext(next)))">
            <p><label>User name <input name="username" id="username" autocomplete="username" required autofocus></label></p>
            <p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
            <p><button type="submit">Sign in</button></p>
            </form></section>
            """
        var r = PageLayout.page(title: "Sign in", active: "login", body: body)
        r.status = status
        r.headers[.setCookie] = control.setCookie(AccessControl.loginCookie, csrf, maxAge: 3600, path: "/login", sameSite: "Strict", request: request)
        return r
    }
}
