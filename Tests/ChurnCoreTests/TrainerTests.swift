import ChurnCore
import XCTest

final class TrainerTests: XCTestCase {
    func testSchemaIsInferredFromContent() {
        let model = Fixtures.trainedModel
        XCTAssertEqual(Set(model.numeric.map(\.column)), ["avg_daily_usage", "usage_drop_pct", "open_tickets", "failed_payments",
                                                          "days_since_last_login", "tenure_months", "mrr",
                                                          "recent_support_escalations", "payment_streak"])
        XCTAssertEqual(model.categorical.map(\.column), ["segment", "region"])
        XCTAssertEqual(model.categorical[0].categories.map(\.value), ["enterprise", "mid-market", "small-business"])
        XCTAssertEqual(model.idColumn, "customer_id")
        XCTAssertEqual(model.emailColumn, "email")
        XCTAssertEqual(model.revenueColumn, "mrr")
        XCTAssertTrue(model.ignoredColumns.contains { $0.column == "customer_id" && $0.reason.hasPrefix("identifier-like") })
        XCTAssertEqual(model.label, LabelSpec(column: "churn_label", positive: "1"))
        XCTAssertTrue(model.training.converged)
    }

    func testStandardizationUsesPopulationStatistics() {
        let table = Fixtures.table("train.csv")
        let column = table.columnIndex("open_tickets")!
        let values = table.rows.map { Double($0[column])! }
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
        let feature = Fixtures.trainedModel.numeric.first { $0.column == "open_tickets" }!
        XCTAssertEqual(feature.mean, mean, accuracy: 1e-12)
        XCTAssertEqual(feature.std, std, accuracy: 1e-12)
    }

    func testGradientIsZeroAtTheFit() {
        // At the optimum of Σ loss + ‖w‖²/2C the gradient vanishes: Xᵀ(p − y) + w/C = 0.
        let x: [Double] = [0.5, -1, 1.5, 2, -0.3, 0.1, 0.9, -2, 1.1, 0.4, -0.7, 0.2]
        let y = [true, false, true, true, false, false]
        let fit = LogisticRegression(C: 0.5).fit(x: x, rows: 6, columns: 2, y: y)
        XCTAssertTrue(fit.converged)
        var g = [0.0, fit.weights[0] / 0.5, fit.weights[1] / 0.5]
        for i in 0..<6 {
            let z = fit.intercept + x[2 * i] * fit.weights[0] + x[2 * i + 1] * fit.weights[1]
            let r = 1 / (1 + exp(-z)) - (y[i] ? 1 : 0)
            g[0] += r
            g[1] += r * x[2 * i]
            g[2] += r * x[2 * i + 1]
        }
        for component in g { XCTAssertEqual(component, 0, accuracy: 1e-9) }
    }

    func testBlankAndUnparsableCellsAreImputedWithTheMedianAndCounted() throws {
        var table = Fixtures.table("train.csv")
        let c = table.columnIndex("open_tickets")!
        table.rows[0][c] = ""
        table.rows[1][c] = "n/a"
        let model = try Trainer(options: .init(labelColumn: "churn_label")).train(table, fingerprint: .init(file: "t", bytes: 0, fnv1a64: "0"))
        XCTAssertEqual(model.training.imputedCells, 2)
        XCTAssertTrue(model.numeric.contains { $0.column == "open_tickets" })
    }

    func testNumbersBeyondTheScoringRangeAreImputedSoTheModelLoads() throws {
        var table = Fixtures.table("train.csv")
        let tickets = table.columnIndex("open_tickets")!, mrr = table.columnIndex("mrr")!
        table.rows[0][tickets] = "-1e305"
        table.rows[1][mrr] = "1e300"
        table.rows[2][mrr] = "1e15"  // the largest accepted: kept
        let model = try Trainer(options: .init(labelColumn: "churn_label")).train(table, fingerprint: .init(file: "t", bytes: 0, fnv1a64: "0"))
        XCTAssertEqual(model.training.imputedCells, 2)
        XCTAssertNoThrow(try CompiledModel(model), "the model trained on them is refused for scoring")
        XCTAssertLessThan(model.numeric.first { $0.column == "open_tickets" }!.mean.magnitude, 100)
    }

    func testColumnNamesWithSpacesAndATextLabel() throws {
        var rows: [[String]] = []
        for i in 0..<60 {
            let plan = i % 3 == 0 ? "Gold plan" : "Basic"
            let churned = i % 7 > 3 ? "yes" : "no"
            rows.append(["acct \(i)", String(Double(i % 7)), plan, churned])
        }
        let table = Table(name: "spaces.csv", header: ["Account Name", "Support Calls", "Plan Type", "Churned?"], rows: rows,
                          lines: (0..<60).map { UInt64($0) + 2 })
        let model = try Trainer(options: .init(labelColumn: "Churned?")).train(table, fingerprint: .init(file: "s", bytes: 0, fnv1a64: "0"))
        XCTAssertEqual(model.label.positive, "yes")
        XCTAssertEqual(model.numeric.map { $0.column }, ["Support Calls"])
        XCTAssertEqual(model.categorical.map { $0.column }, ["Plan Type"])
        XCTAssertEqual(model.idColumn, "Account Name")
        XCTAssertGreaterThan(model.numeric[0].coefficient, 0)
    }

    func testAmbiguousLabelNeedsPositive() {
        let table = Table(name: "l.csv", header: ["x", "status"], rows: (0..<10).map { [String($0), $0 % 2 == 0 ? "gone" : "stayed"] },
                          lines: (0..<10).map { UInt64($0) + 2 })
        XCTAssertThrowsError(try Trainer(options: .init(labelColumn: "status")).train(table, fingerprint: .init(file: "l", bytes: 0, fnv1a64: "0"))) {
            XCTAssertTrue("\($0)".contains("--positive"))
        }
        XCTAssertNoThrow(try Trainer(options: .init(labelColumn: "status", positive: "gone")).train(table, fingerprint: .init(file: "l", bytes: 0, fnv1a64: "0")))
    }
}
