import ChurnCore
import ChurnIO
import ChurnTesting
import Foundation
import Hummingbird
import XCTest
@testable import ChurnServer

/// The OpenAPI document describes exactly the API routes the server registers, no more, no fewer.
final class OpenAPIDocumentTests: XCTestCase {
    func testDocumentPathsEqualRegisteredAPIRoutes() throws {
        let dashboard = try ServerFixtures.dashboard()
        let router = DashboardServer.router(dashboard)
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
            .filter { $0.contains(" /api/") || $0.hasSuffix(" /healthz") || $0.hasSuffix(" /metrics") })
        let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
        XCTAssertFalse(registered.isEmpty)
        XCTAssertEqual(registered.subtracting(documented).sorted(), [], "routes missing from the OpenAPI document")
        XCTAssertEqual(documented.subtracting(registered).sorted(), [], "documented operations the server does not have")
    }

    func testCustomersOperationDocumentsEveryFilter() throws {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any])
        let paths = try XCTUnwrap(object["paths"] as? [String: Any])
        let get = try XCTUnwrap((paths["/api/v1/runs/{id}/customers"] as? [String: Any])?["get"] as? [String: Any])
        let names = Set((get["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
        XCTAssertEqual(names, Set(CustomerTable.parameterNames + ["id", CustomerTable.categoryPrefix + "{feature}"]))
        // A cat.FEATURE parameter really is read as a category filter.
        let q = try CustomerTable.parse(["cat.Contract": "One year", "risk": "high"])
        XCTAssertEqual(q.categories, ["Contract": "One year"])
    }

    func testDocumentIsOpenAPI3JSON() throws {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: OpenAPIDocument.data) as? [String: Any])
        XCTAssertEqual((object["openapi"] as? String)?.prefix(2), "3.")
        let schemas = try XCTUnwrap((object["components"] as? [String: Any])?["schemas"] as? [String: Any])
        // Every $ref points at a schema that exists.
        let text = String(decoding: OpenAPIDocument.data, as: UTF8.self)
        let refs = text.components(separatedBy: "#/components/schemas/").dropFirst().map { $0.prefix { $0 != "\"" } }
        XCTAssertFalse(refs.isEmpty)
        for ref in refs { XCTAssertNotNil(schemas[String(ref)], "dangling $ref \(ref)") }
    }
}

/// A dashboard over a temporary data directory, a model trained on the committed training set, and
/// a scoring service that never runs anything (these tests need no scoring).
enum ServerFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func dashboard() throws -> Dashboard {
        try Dashboard(configuration: configuration(), jobs: IdleJobs())
    }

    /// A configuration over a fresh data directory with a model trained on the committed training set.
    static func configuration() throws -> ServerConfiguration {
        let dir = ScratchDirectory.make("server").path
        let (table, fingerprint) = try CSVTableReader.read(path: root.appendingPathComponent("scripts/data/train.csv").path)
        let model = try Trainer(options: .init(labelColumn: "churn_label", createdAt: Date(timeIntervalSince1970: 0)))
            .train(table, fingerprint: fingerprint)
        let modelPath = dir + "/model.json"
        try JSONEncoder().encode(model).write(to: URL(fileURLWithPath: modelPath))
        let loaded = try ModelFile.load(path: modelPath)
        return ServerConfiguration(host: "127.0.0.1", port: 0, dataDirectory: dir, maxUploadBytes: 1 << 20, model: loaded, modelPath: modelPath)
    }
}

private struct IdleJobs: ScoringJobs {
    func start(_ upload: UploadedFile, options: RunOptions) async throws -> Int64 { throw CancellationError() }
    func live(_ runId: Int64) -> LiveRun? { nil }
    func liveRuns() -> [LiveRun] { [] }
    func counts() -> JobCounts { JobCounts() }
    func cancel(_ runId: Int64) -> Bool { false }
    func updates(_ runId: Int64) -> AsyncStream<LiveRun>? { nil }
    func pool() -> PoolSnapshot { PoolSnapshot(mode: "in-process", workers: []) }
    func drain(grace: Duration) async {}
}
