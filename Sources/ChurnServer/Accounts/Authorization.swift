import Foundation
import Hummingbird
import NIOCore

/// Checks every matched request against `AccessRules`: who is calling (bearer token or session
/// cookie), whether their role may call the route, and for state-changing requests made with a
/// session cookie, the CSRF token (`X-CSRF-Token` header, or a `csrf` field of a URL-encoded form).
/// Successful state-changing requests are written to the audit log (who, what, from where).
///
/// Answers: no valid credentials → `401` with `WWW-Authenticate: Bearer` on API routes, a `303`
/// redirect to `/login?next=…` on pages; a role too low, a route missing from `AccessRules`, or a
/// missing/wrong CSRF token → `403`.
struct Authorization: RouterMiddleware {
    typealias Context = DashboardContext
    let control: AccessControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let path = context.endpointPath else { return try await next(request, context) }   // 404s
        let rule = AccessRules.access(method: request.method, path: path)
        let identity = try control.identify(request)
        var context = context
        context.identity = identity
        var request = request
        if rule != .anybody {
            guard let identity else {
                if path.hasPrefix("/api/") || path == "/metrics" {
                    throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer realm=\"churn\""],
                                    message: "sign in: send Authorization: Bearer TOKEN (churn tokens create)")
                }
                let target = request.method == .get ? request.uri.description : "/"
                let next = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/"
                return Response(status: .seeOther, headers: [.location: "/login?next=\(next)", .cacheControl: "no-store"])
            }
            guard case .atLeast(let needed)? = rule, identity.role >= needed else {
                throw HTTPError(.forbidden, message: "\(identity.name) (\(identity.role.rawValue)) may not \(request.method.rawValue) \(path)")
            }
            if Self.changesState(request.method), identity.via == .session {
                guard let expected = identity.csrf, let sent = try await Self.csrfToken(&request, context),
                      constantTimeEquals(sent, expected) else {
                    throw HTTPError(.forbidden, message: "missing or wrong CSRF token: reload the page and try again")
                }
            }
        }
        let response = try await Identity.$current.withValue(identity) { try await next(request, context) }
        if let identity, Self.changesState(request.method), response.status.code < 400, !path.hasPrefix("/log") {
            var detail = request.uri.path
            if let location = response.headers[.location] { detail += " → " + location }
            control.accounts.audit(actor: identity.name, action: "\(request.method.rawValue) \(path)", detail: detail,
                                   address: control.address(request, context))
        }
        return response
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    /// The CSRF token of a request: its `X-CSRF-Token` header, else the `csrf` field of a URL-encoded
    /// form body (the body is read and put back for the route).
    static func csrfToken(_ request: inout Request, _ context: Context) async throws -> String? {
        if let header = request.headers[.init("X-CSRF-Token")!] { return header }
        // A multipart form (an upload) streams its body to the route: its token rides in the action URL.
        if request.headers[.contentType]?.lowercased().hasPrefix("multipart/form-data") == true {
            return request.uri.queryParameters.get("csrf")
        }
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return nil }
        let body = try await request.collectBody(upTo: 1 << 16)
        return FormFields.parse(String(buffer: body))["csrf"]
    }
}

/// `application/x-www-form-urlencoded` fields (the last value of a repeated name wins).
enum FormFields {
    static func parse(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { (String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding) ?? "" }
            out[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }
}

/// Headers on every answer: a Content-Security-Policy with no inline script and no framing,
/// `X-Content-Type-Options: nosniff`, no referrer, and `X-Frame-Options` for older browsers.
/// HTML reports (`report.html`) carry their own styles inline, so they get a policy that allows
/// inline style and no script at all.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = DashboardContext

    static let pagePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    static let reportPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        let report = request.uri.path.hasSuffix("/report.html")
        response.headers[.contentSecurityPolicy] = report ? Self.reportPolicy : Self.pagePolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
