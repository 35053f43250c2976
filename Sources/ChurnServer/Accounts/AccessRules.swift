import Hummingbird

/// One route and who may call it.
public struct AccessRule: Equatable, Sendable {
    public var method: HTTPRequest.Method
    /// The path as registered with the router, e.g. `/api/v1/runs/{id}`.
    public var path: String
    public var access: Access

    public static func get(_ path: String, _ access: Access) -> AccessRule { .init(method: .get, path: path, access: access) }
    public static func post(_ path: String, _ access: Access) -> AccessRule { .init(method: .post, path: path, access: access) }
    public static func put(_ path: String, _ access: Access) -> AccessRule { .init(method: .put, path: path, access: access) }
    public static func delete(_ path: String, _ access: Access) -> AccessRule { .init(method: .delete, path: path, access: access) }
    public static func patch(_ path: String, _ access: Access) -> AccessRule { .init(method: .patch, path: path, access: access) }

    /// API routes answer 401 without credentials; pages redirect to `/login`.
    public var isAPI: Bool { path.hasPrefix("/api/") || path == "/metrics" }
}

/// **The route table: how every route declares its minimum role.**
///
/// Register the route with the router as usual (in your own `register(on:)`), and declare it here
/// in a list of your own, added to `all` with one term:
///
///     extension AccessRules {
///         static let models: [AccessRule] = [
///             .get("/models", .atLeast(.viewer)),
///             .post("/api/v1/models/{id}/promote", .atLeast(.admin)),
///         ]
///     }
///     // and in `all`: `dashboard + accounts + models`
///
/// The `Authorization` middleware looks each request's matched route up here (by method and the
/// router's path pattern): no credentials → 401 (API) or a redirect to `/login` (pages); a lower
/// role → 403. A route missing from this table answers 403 to everybody, and
/// `AccessRulesTests` fails until it is added; the end-to-end access matrix
/// (`AccessMatrixTests`, via `churn serve --list-routes`) checks every rule here for anonymous
/// callers, each role, a revoked token and an expired session.
public enum AccessRules {
    /// Every route the server registers.
    public static let all: [AccessRule] = dashboard + accounts + userAdmin + offers + models

    /// The dashboard and REST API of `churn serve` (issue 9).
    static let dashboard: [AccessRule] = {
        var rules: [AccessRule] = [
            .get("/healthz", .anybody),
            .get("/metrics", .atLeast(.admin)),
            .get("/api/v1/openapi.json", .atLeast(.viewer)),
            .post("/api/v1/runs", .atLeast(.analyst)),
            .get("/api/v1/runs", .atLeast(.viewer)),
            .get("/api/v1/runs/{id}", .atLeast(.viewer)),
            .delete("/api/v1/runs/{id}", .atLeast(.analyst)),
            .post("/api/v1/runs/{id}/refresh", .atLeast(.analyst)),
            .get("/api/v1/runs/{id}/results.csv", .atLeast(.viewer)),
            .get("/api/v1/runs/{id}/summary.json", .atLeast(.viewer)),
            .get("/api/v1/runs/{id}/report.html", .atLeast(.viewer)),
            .get("/api/v1/runs/{id}/events", .atLeast(.viewer)),
            .get("/api/v1/runs/{id}/customers", .atLeast(.viewer)),
            .get("/api/v1/customers/{id}", .atLeast(.viewer)),
            .post("/api/v1/customers/{id}/offers", .atLeast(.analyst)),
            .get("/api/v1/cluster", .atLeast(.admin)),
            .post("/api/v1/predict", .atLeast(.analyst)),
            .get("/", .atLeast(.viewer)),
            .get("/runs", .atLeast(.viewer)),
            .get("/runs/{id}", .atLeast(.viewer)),
            .get("/runs/{id}/customers", .atLeast(.viewer)),
            .get("/customers/{id}", .atLeast(.viewer)),
            .get("/cluster", .atLeast(.admin)),
        ]
        // The stylesheets, script and icon: the sign-in page needs them before anyone signs in.
        rules += StaticAssets.all.keys.sorted().map { AccessRule.get("/static/\($0)", .anybody) }
        return rules
    }()

    /// Sign-in, sign-out and the audit page (issue 10).
    static let accounts: [AccessRule] = [
        .get("/login", .anybody),
        .post("/login", .anybody),
        .post("/logout", .atLeast(.viewer)),
        .get("/audit", .atLeast(.admin)),
    ]

    /// Managing users and API tokens in the browser (`UserRoutes`): for admins.
    static let userAdmin: [AccessRule] = [AccessRule.get("/users", .atLeast(.admin))]
        + UserRoutes.paths.map { AccessRule.post($0, .atLeast(.admin)) }

    /// Retention offers (issue 13): the outbox is read by anyone signed in; sending is an analyst
    /// action (`POST /api/v1/customers/{id}/offers`, above); the unsubscribe page is for the
    /// customer, who has no account: its signed token is the credential.
    static let offers: [AccessRule] = [
        .get("/outbox", .atLeast(.viewer)),
        .get("/api/v1/outbox", .atLeast(.viewer)),
        .get("/unsubscribe", .anybody),
        .post("/unsubscribe", .anybody),
    ]

    /// The model registry (issue 14): anyone signed in reads it; changing which model scores
    /// (promote, roll back, retrain: `ModelRoutes.adminPaths`) is for admins.
    static let models: [AccessRule] = [
        .get("/models", .atLeast(.viewer)),
        .get("/models/{version}", .atLeast(.viewer)),
        .get("/api/v1/models", .atLeast(.viewer)),
    ] + ModelRoutes.adminPaths.map { AccessRule.post($0, .atLeast(.admin)) }

    private static let byRoute: [String: Access] = {
        var out: [String: Access] = [:]
        for rule in all { out["\(rule.method.rawValue) \(rule.path)"] = rule.access }
        return out
    }()

    /// The rule for a matched route; nil when the table does not list it.
    public static func access(method: HTTPRequest.Method, path: String) -> Access? {
        byRoute["\(method.rawValue) \(path)"]
    }
}
