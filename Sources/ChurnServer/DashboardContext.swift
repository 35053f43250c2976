import Hummingbird

/// The per-request context of the dashboard. Authentication (accounts and roles) will add the
/// signed-in identity here and a middleware in `DashboardRouter.middlewares`; nothing else changes.
public struct DashboardContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// JSON bodies (`/api/v1/predict`: at most 10,000 records) are decoded up to this size; uploads
    /// stream to disk and have their own limit.
    public var maxUploadSize: Int { 64 << 20 }
}

extension DashboardContext {
    /// The `{id}` of a customer route, percent-decoded (the router hands path segments over as sent;
    /// customer ids may hold any character).
    static func customerId(_ context: DashboardContext) throws -> String {
        let raw = try context.parameters.require("id")
        return raw.removingPercentEncoding ?? raw
    }
}
