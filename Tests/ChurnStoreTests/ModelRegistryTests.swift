import ChurnCore
import Foundation
import XCTest

@testable import ChurnStore

final class ModelRegistryStoreTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("churn-registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func model() -> ChurnModel {
        let metrics = EvaluationMetrics.compute(probabilities: [0.2, 0.8], labels: [false, true])
        return ChurnModel(createdAt: "2026-11-30T00:00:00Z", label: LabelSpec(column: "y", positive: "1"), idColumn: nil, emailColumn: nil,
                          revenueColumn: nil, ignoredColumns: [], intercept: 0, numeric: [], categorical: [],
                          regularization: Regularization(C: 1), thresholds: RiskThresholds(),
                          health: HealthScorecard(measures: []), interventions: InterventionRules(rules: [], highValue: nil, fallback: "Call"),
                          training: TrainingReport(rows: 2, skippedRows: 0, imputedCells: 0, positiveRate: 0.5, iterations: 1,
                                                   converged: true, metrics: metrics, data: DataFingerprint(file: "t.csv", bytes: 1, fnv1a64: "0")))
    }

    func testFirstIsChampionPromoteAndRollbackFollowAStack() throws {
        let path = directory.appendingPathComponent("h.sqlite").path
        let registry = try ModelRegistry(path: path)
        let m = model()
        XCTAssertNil(try registry.champion())
        let r1 = try registry.register(bytes: [1], hash: "a", model: m, metrics: m.training.metrics, metricsKind: "training", source: "train")
        XCTAssertEqual(r1.version, 1)
        XCTAssertTrue(r1.champion)
        let r2 = try registry.register(bytes: [2], hash: "b", model: m, metrics: m.training.metrics, metricsKind: "holdout", source: "retrain")
        XCTAssertEqual(r2.version, 2)
        XCTAssertFalse(r2.champion)
        let again = try registry.register(bytes: [1], hash: "a", model: m, metrics: m.training.metrics, metricsKind: "training", source: "train")
        XCTAssertTrue(again.alreadyRegistered)
        XCTAssertEqual(again.version, 1)
        XCTAssertEqual(try registry.modelBytes(2), [2])
        _ = try registry.register(bytes: [3], hash: "c", model: m, metrics: m.training.metrics, metricsKind: "training", source: "train")

        try registry.promote(2)
        try registry.promote(3)
        XCTAssertEqual(try registry.championHistory(), [1, 2, 3])
        XCTAssertThrowsError(try registry.promote(3))
        XCTAssertThrowsError(try registry.promote(7))
        XCTAssertEqual(try registry.rollback().to, 2)
        XCTAssertEqual(try registry.rollback().to, 1)
        XCTAssertThrowsError(try registry.rollback())
        // A second process sees the same state; the run history in the same file still opens.
        let reopened = try ModelRegistry(path: path)
        XCTAssertEqual(try reopened.champion(), 1)
        XCTAssertEqual(try reopened.versions().map(\.champion), [true, false, false])
        XCTAssertEqual(try RunStore(path: path).schemaVersion, 3)
    }
}
