import Hummingbird
import NIOCore

/// The per-request context of the dashboard: the signed-in identity (set by the `Authorization`
/// middleware once the credentials are checked) and the client's address.
public struct DashboardContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Who is calling; nil on routes anybody may call when nobody is signed in.
    public var identity: Identity?
    /// The peer's IP address.
    public let remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
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
