import ChurnCoordinator
import ChurnCore
import ChurnIO
import ChurnStore
import Foundation
import Hummingbird
import NIOCore

/// The model registry on the dashboard and the API.
///
/// Reading (any signed-in user): `GET /models`, `GET /models/{n}`, `GET /api/v1/models`.
/// Changing the champion (admin only): every `POST` below, listed in `adminPaths`.
struct ModelRoutes {
    let dashboard: Dashboard

    /// The routes that change which model scores (promote, roll back, retrain): for an admin only.
    static let adminPaths = [
        "/models/retrain", "/models/{version}/promote", "/models/rollback",
        "/api/v1/models/retrain", "/api/v1/models/{version}/promote", "/api/v1/models/rollback",
    ]

    private var registry: ModelRegistry { get throws { try ModelRegistry(store: dashboard.store) } }

    func register(on router: Router<DashboardContext>) {
        router.get("/models") { request, _ in try page(version: nil, message: request.uri.queryParameters.get("message")) }
        router.get("/models/{version}") { request, context in
            try page(version: try Self.version(context), message: request.uri.queryParameters.get("message"))
        }
        router.post("/models/{version}/promote") { _, context in
            let n = try Self.version(context)
            try promote(n)
            return Self.redirect("/models/\(n)?message=" + Self.query("Version \(n) is the champion."))
        }
        router.post("/models/rollback") { _, _ in
            let (from, to) = try rollback()
            return Self.redirect("/models/\(to)?message=" + Self.query("Rolled back: version \(to) is the champion again (was version \(from))."))
        }
        router.post("/models/retrain") { request, _ in
            let (outcome, name) = try await retrain(request)
            return PageLayout.page(title: "Retrain", active: "models", body: ModelsPage.outcome(outcome, fileName: name))
        }

        router.get("/api/v1/models") { _, _ in
            APIRoutes.json(try Self.jsonData(try registry.versions().map(Self.summary)))
        }
        router.post("/api/v1/models/{version}/promote") { _, context in
            try promote(try Self.version(context))
            return APIRoutes.json(try Self.jsonData(try registry.versions().map(Self.summary)))
        }
        router.post("/api/v1/models/rollback") { _, _ in
            let (from, to) = try rollback()
            return APIRoutes.json(try Self.jsonData(["from": from, "to": to]))
        }
        router.post("/api/v1/models/retrain") { request, _ in
            APIRoutes.json(try Self.jsonData(try await retrain(request).0))
        }
    }

    private func page(version: Int?, message: String?) throws -> Response {
        let registry = try self.registry
        let versions = try registry.versions()
        let shownVersion = version ?? versions.first(where: \.champion)?.version ?? versions.last?.version
        let shown = shownVersion.flatMap { n in versions.first { $0.version == n } }
        if let version, shown == nil { return PageLayout.problem(.notFound, "There is no model version \(version).") }
        let model = try shown.flatMap { try registry.modelBytes($0.version) }.flatMap { try? JSONDecoder().decode(ChurnModel.self, from: Data($0)) }
        let inUse = dashboard.model.current()
        let inUseText = inUse.version.map { "version \($0)" + (dashboard.model.reference == .champion ? " (the champion)" : "") }
            ?? "the model file \(dashboard.configuration.modelPath)"
        return PageLayout.page(title: "Models", active: "models",
                               body: ModelsPage.render(versions: versions, shown: shown, model: model, history: try registry.championHistory(),
                                                       inUse: inUseText, message: message))
    }

    private func promote(_ n: Int) throws {
        do { try registry.promote(n) } catch let e as ModelRegistry.RegistryError { throw HTTPError(.conflict, message: e.description) }
    }

    private func rollback() throws -> (Int, Int) {
        do { return try registry.rollback() } catch let e as ModelRegistry.RegistryError { throw HTTPError(.conflict, message: e.description) }
    }

    /// Receives the labelled upload and its form fields, then trains and compares off the event loop.
    private func retrain(_ request: Request) async throws -> (Retraining.Outcome, String) {
        let receiver = UploadReceiver(directory: dashboard.configuration.uploadsDirectory, limit: dashboard.configuration.maxUploadBytes)
        let received = try await receiver.receive(request, suggestedName: request.uri.queryParameters.get("name"))
        let fields = received.fields.merging(APIRoutes.parameters(request)) { $1 }
        let directory = (received.file.path as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func number(_ key: String, _ fallback: Double) throws -> Double {
            guard let text = fields[key], !text.isEmpty else { return fallback }
            guard let v = Double(text), v.isFinite, v >= 0 else { throw HTTPError(.badRequest, message: "\(key): '\(text)' is not a number of 0 or more") }
            return v
        }
        let label = fields["label"].flatMap { $0.isEmpty ? nil : $0 } ?? dashboard.model.current().loaded.model.label.column
        let holdout = try number("holdout", 0.2), seed = try number("seed", 1)
        let rule = PromotionRule(maxAUCDrop: try number("max_auc_drop", 0), maxLogLossRise: try number("max_log_loss_rise", 0.02))
        let path = received.file.path, name = received.file.name, registry = try self.registry
        let outcome: Retraining.Outcome = try await withCheckedThrowingContinuation { continuation in
            Thread {
                do {
                    let (table, fingerprint) = try Self.readTable(path, name: name)
                    continuation.resume(returning: try Retraining.run(Retraining.Request(
                        table: table, fingerprint: fingerprint, options: Trainer.Options(labelColumn: label), holdout: holdout,
                        seed: UInt64(seed), rule: rule), registry: registry))
                } catch {
                    continuation.resume(throwing: HTTPError(.badRequest, message: "\(error)"))
                }
            }.start()
        }
        return (outcome, name)
    }

    private static func readTable(_ path: String, name: String) throws -> (Table, DataFingerprint) {
        var csv = path
        if InputFiles.isXLSX(path) { csv = try InputFiles.convertXLSX(path: path, sheet: nil) }
        defer { if csv != path { unlink(csv) } }
        var (table, fingerprint) = try CSVTableReader.read(path: csv)
        table.name = name
        fingerprint.file = name
        return (table, fingerprint)
    }

    private static func version(_ context: DashboardContext) throws -> Int {
        let text = try context.parameters.require("version")
        guard let n = Int(text), n > 0 else { throw HTTPError(.badRequest, message: "model version '\(text)' is not a number") }
        return n
    }

    private static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    private static func query(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// A version as `churn models list --json` prints it.
    static func summary(_ v: ModelRegistry.Version) -> [String: Any] {
        ["version": v.version, "hash": v.hash, "champion": v.champion, "registered_at": ISO8601DateFormatter().string(from: v.registeredAt),
         "trained_at": v.trainedAt, "training_file": v.trainingFile, "rows": v.trainingRows, "source": v.source,
         "metrics_kind": v.metricsKind, "accuracy": v.metrics.accuracy, "auc": v.metrics.auc, "pr_auc": v.metrics.prAuc,
         "log_loss": v.metrics.logLoss, "brier": v.metrics.brier]
    }

    private static func jsonData(_ value: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
    }

    private static func jsonData<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(value)
    }
}
