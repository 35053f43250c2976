import Foundation
import Hummingbird
import Logging
import NIOCore
import HummingbirdCore
import HummingbirdTLS
import ServiceLifecycle

/// The `churn serve` server: the REST API and the dashboard pages in front of the scoring service.
/// Runs until SIGTERM or SIGINT, then stops accepting, drains the running jobs, and returns.
public struct DashboardServer {
    let dashboard: Dashboard
    let logger: Logger

    /// - Parameters:
    ///   - jobs: the scoring service (its adapter); the server starts runs only through it.
    public init(configuration: ServerConfiguration, jobs: any ScoringJobs, logger: Logger) throws {
        dashboard = try Dashboard(configuration: configuration, jobs: jobs)
        self.logger = logger
    }

    /// The router with every route. `Authorization` checks each route against `AccessRules`, the
    /// one place that says who may call what: register a route here, declare its role there.
    static func router(_ dashboard: Dashboard) -> Router<DashboardContext> {
        let router = Router(context: DashboardContext.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: MetricsRecorder(metrics: dashboard.metrics))
        router.add(middleware: ErrorPages())
        router.add(middleware: Authorization(control: dashboard.access))
        APIRoutes(dashboard: dashboard).register(on: router)
        PageRoutes(dashboard: dashboard).register(on: router)
        OfferRoutes(dashboard: dashboard).register(on: router)
        AccountRoutes(control: dashboard.access).register(on: router)
        UserRoutes(control: dashboard.access).register(on: router)
        ModelRoutes(dashboard: dashboard).register(on: router)
        return router
    }

    /// Serves until a shutdown signal; `onListening` gets the bound address once ready.
    public func run(onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void) async throws {
        let config = dashboard.configuration
        let app = Application(
            router: Self.router(dashboard),
            server: try Self.serverBuilder(config),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "churn"),
            services: [JobDrain(jobs: dashboard.jobs)],
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                onListening(config.host, port)
            },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}

extension DashboardServer {
    /// HTTP/1.1, or HTTPS with `--tls-cert` and `--tls-key` (swift-nio-ssl through HummingbirdTLS).
    static func serverBuilder(_ config: ServerConfiguration) throws -> HTTPServerBuilder {
        guard let certPath = config.tlsCertificatePath, let keyPath = config.tlsKeyPath else { return .http1() }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: try NIOSSLCertificate.fromPEMFile(certPath).map { .certificate($0) },
                                                           privateKey: .privateKey(key))
        return try .tls(.http1(), tlsConfiguration: tls)
    }
}

/// Runs beside the HTTP server; on graceful shutdown waits for (or cancels) the running jobs.
/// Services shut down in reverse order, so the server stops accepting first.
private struct JobDrain: Service {
    let jobs: any ScoringJobs

    func run() async throws {
        try? await gracefulShutdown()
        await jobs.drain(grace: .seconds(30))
    }
}

/// Pages answer errors as HTML, the API as JSON (Hummingbird's own error body).
private struct ErrorPages: RouterMiddleware {
    typealias Context = DashboardContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where !request.uri.path.hasPrefix("/api/") && request.uri.path != "/metrics" {
            return PageLayout.problem(error.status, error.body ?? error.status.reasonPhrase)
        }
    }
}
