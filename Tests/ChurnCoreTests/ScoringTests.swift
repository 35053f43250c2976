import ChurnCore
import XCTest

final class ScoringTests: XCTestCase {
    let compiled = try! CompiledModel(Fixtures.trainedModel)

    func testNumbersBeyondTheRangeAreRefusedNotScored() throws {
        var customer = Fixtures.typicalCustomer(compiled.model)
        customer["open_tickets"] = "1e300"
        XCTAssertThrowsError(try compiled.score(record: customer)) {
            XCTAssertTrue("\($0)".contains("'open_tickets': '1e300' is out of range"), "\($0)")
        }
        customer["open_tickets"] = "-1e15"  // the largest magnitude accepted
        let edge = try compiled.score(record: customer)
        XCTAssertTrue(edge.probability.isFinite && (0...1).contains(edge.probability))
        XCTAssertTrue(NumericRange.accepts(1e15) && NumericRange.accepts(-1e15) && !NumericRange.accepts(1.0000001e15))
        XCTAssertFalse(NumericRange.accepts(.infinity) || NumericRange.accepts(.nan))
    }

    func testAModelWhoseNumbersCouldOverflowIsRefused() throws {
        func refused(_ change: (inout ChurnModel) -> Void, naming text: String, file: StaticString = #filePath, line: UInt = #line) {
            var model = compiled.model
            change(&model)
            XCTAssertThrowsError(try CompiledModel(model), file: file, line: line) {
                XCTAssertTrue("\($0)".contains(text), "\($0)", file: file, line: line)
            }
        }
        refused({ $0.numeric[0].coefficient = 1e300 }, naming: "'\(compiled.model.numeric[0].column)': the coefficient is 1e+300")
        refused({ $0.numeric[1].std = 1e-300 }, naming: "the standard deviation is 1e-300; it must be 0 or at least 1e-12")
        refused({ $0.numeric[2].mean = -1e200 }, naming: "the mean")
        refused({ $0.intercept = 5e6 }, naming: "the intercept")
        refused({ $0.categorical[0].categories[0].coefficient = -1e7 }, naming: "categorical feature '\(compiled.model.categorical[0].column)'")
        var fine = compiled.model
        fine.numeric[1].std = 0  // a constant column: no scaling, still valid
        XCTAssertNoThrow(try CompiledModel(fine))
    }

    func testManyOpenTicketsIsTheTopDriverOfAnOtherwiseTypicalCustomer() throws {
        var customer = Fixtures.typicalCustomer(compiled.model)
        customer["open_tickets"] = "9"
        let score = try compiled.score(record: customer)
        XCTAssertEqual(compiled.driverNames[Int(score.drivers.0)], "open_tickets high")
        XCTAssertGreaterThan(score.impacts.0, 1)
        XCTAssertEqual(compiled.actions[Int(score.intervention)], "Dedicated support call")
    }

    func testAHealthyPaymentStreakIsNeverADriver() throws {
        var customer = Fixtures.typicalCustomer(compiled.model)
        customer["payment_streak"] = "120"  // a long on-time streak lowers risk
        let score = try compiled.score(record: customer)
        for d in score.driverList { XCTAssertNotEqual(compiled.driverNames[Int(d.index)], "payment_streak") }
        for d in score.driverList { XCTAssertGreaterThan(d.impact, 0) }
    }

    func testDriversAreOrderedByImpact() throws {
        var customer = Fixtures.typicalCustomer(compiled.model)
        customer["open_tickets"] = "5"
        customer["failed_payments"] = "4"
        customer["usage_drop_pct"] = "60"
        let s = try compiled.score(record: customer)
        XCTAssertGreaterThanOrEqual(s.impacts.0, s.impacts.1)
        XCTAssertGreaterThanOrEqual(s.impacts.1, s.impacts.2)
        XCTAssertEqual(s.driverList.count, 3)
    }

    func testRiskLevelsUseTheConfiguredCutPoints() {
        let t = RiskThresholds(mediumRisk: 40, highRisk: 70)
        XCTAssertEqual(RiskLevel.forScore(39, thresholds: t), .low)
        XCTAssertEqual(RiskLevel.forScore(40, thresholds: t), .medium)
        XCTAssertEqual(RiskLevel.forScore(69, thresholds: t), .medium)
        XCTAssertEqual(RiskLevel.forScore(70, thresholds: t), .high)
        XCTAssertEqual(RiskLevel.forScore(100, thresholds: RiskThresholds(mediumRisk: 10, highRisk: 20)), .high)
    }

    func testHealthIsAScorecardNotTheProbability() throws {
        var a = Fixtures.typicalCustomer(compiled.model)
        var b = a
        // Same churn probability direction, but health follows the scorecard's measures.
        a["open_tickets"] = "0"
        b["open_tickets"] = "8"
        let sa = try compiled.score(record: a), sb = try compiled.score(record: b)
        XCTAssertGreaterThan(sa.health, sb.health)
        let measure = HealthScorecard.Measure(column: "x", weight: 1, direction: .lowerIsHealthier, low: 0, high: 10)
        XCTAssertEqual(measure.subScore(-5), 100)
        XCTAssertEqual(measure.subScore(5), 50)
        XCTAssertEqual(measure.subScore(50), 0)
        // Health is not 100·(1 − p) for customers in general.
        var differs = false
        for tickets in 0..<6 {
            var c = Fixtures.typicalCustomer(compiled.model)
            c["open_tickets"] = String(tickets)
            c["tenure_months"] = String(tickets * 20)
            let s = try compiled.score(record: c)
            if abs(Int(s.health) - Int(((1 - s.probability) * 100).rounded())) > 5 { differs = true }
        }
        XCTAssertTrue(differs)
    }

    func testBlankNumericIsImputedAndUnseenCategoryIsNeutral() throws {
        var customer = Fixtures.typicalCustomer(compiled.model)
        let typical = try compiled.score(record: customer)
        customer["open_tickets"] = ""
        XCTAssertEqual(try compiled.score(record: customer), typical)
        customer["segment"] = "government"
        let unseen = try compiled.score(record: customer)
        XCTAssertFalse(unseen.driverList.contains { compiled.driverNames[Int($0.index)].hasPrefix("segment=") })
        customer["open_tickets"] = "lots"
        XCTAssertThrowsError(try compiled.score(record: customer))
    }

    func testHighValueCustomersAtHighRiskGetAnExecutiveSponsor() throws {
        var customer = Fixtures.typicalCustomer(compiled.model)
        customer["open_tickets"] = "9"
        customer["failed_payments"] = "5"
        customer["usage_drop_pct"] = "80"
        customer["mrr"] = "100000"
        let s = try compiled.score(record: customer)
        XCTAssertEqual(s.riskLevel, .high)
        XCTAssertEqual(compiled.actions[Int(s.intervention)], "Executive sponsor call")
    }

    func testInterventionRulesCanBeOverridden() throws {
        var model = Fixtures.trainedModel
        model.interventions = InterventionRules(rules: [.init(driver: "open_tickets", action: "Send the support SWAT team")], highValue: nil, fallback: "Wait")
        let custom = try CompiledModel(model)
        var customer = Fixtures.typicalCustomer(model)
        customer["open_tickets"] = "9"
        XCTAssertEqual(custom.actions[Int(try custom.score(record: customer).intervention)], "Send the support SWAT team")
        let typical = try custom.score(record: Fixtures.typicalCustomer(model))
        XCTAssertEqual(typical.riskLevel, .low)
        XCTAssertEqual(custom.actions[Int(typical.intervention)], "Monitor", "Low risk gets the no-action intervention")
        model.interventions.lowRiskAction = "Keep watching"
        XCTAssertEqual(try CompiledModel(model).actions[Int(typical.intervention)], "Keep watching")
        // A Medium/High customer whose drivers have no rule gets the fallback.
        customer = Fixtures.typicalCustomer(model)
        customer["failed_payments"] = "6"
        let s = try custom.score(record: customer)
        XCTAssertGreaterThan(s.riskLevel, .low)
        XCTAssertEqual(custom.actions[Int(s.intervention)], "Wait")
    }

    func testCombinedRankingIsNotTheProbabilityAlone() {
        // Equal probability, different health: combined separates them, risk does not.
        XCTAssertGreaterThan(RankBy.combined.key(probability: 0.6, health: 20, revenue: 0), RankBy.combined.key(probability: 0.6, health: 80, revenue: 0))
        XCTAssertEqual(RankBy.risk.key(probability: 0.6, health: 20, revenue: 0), RankBy.risk.key(probability: 0.6, health: 80, revenue: 0))
        // A less likely churner can outrank a more likely one when much less healthy.
        XCTAssertGreaterThan(RankBy.combined.key(probability: 0.5, health: 5, revenue: 0), RankBy.combined.key(probability: 0.6, health: 90, revenue: 0))
        XCTAssertEqual(RankBy.revenue.key(probability: 0.5, health: 0, revenue: 1000), 500)
    }
}
