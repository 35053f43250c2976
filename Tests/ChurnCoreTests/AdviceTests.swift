import ChurnCore
import XCTest

/// What the product tells a customer-success team, on data built to show each way it went wrong
/// before (issue 11). Each test names the old behaviour it guards against.
final class AdviceTests: XCTestCase {
    static let telecom = AdviceData.lowPriceRaisesRisk()
    static let saas = AdviceData.highTenureRaisesRisk()
    static let bank = AdviceData.bank()
    static let telecomModel = try! AdviceData.train(telecom, label: "Churn")
    static let saasModel = try! AdviceData.train(saas, label: "churned")
    static let bankModel = try! AdviceData.train(bank, label: "Exited")

    // Old: every customer whose driver was `monthly_price` got "Retention discount", also those
    // whose *low* price raised their risk.
    func testALowPriceThatRaisesRiskGetsNoDiscount() throws {
        let model = Self.telecomModel
        let price = try XCTUnwrap(model.numeric.first { $0.column == "monthly_price" })
        XCTAssertLessThan(price.coefficient, 0, "the data makes low prices risky")
        XCTAssertFalse(model.interventions.rules.contains { $0.driver == "monthly_price" }, "no rule fits a low price")
        let compiled = try CompiledModel(model)
        XCTAssertTrue(compiled.driverNames.contains("monthly_price low"))
        var lowPriceDrivers = 0
        for (s, _, record) in try AdviceData.scoreAll(Self.telecom, model) {
            let action = compiled.actions[Int(s.intervention)]
            XCTAssertNotEqual(action, "Retention discount")
            if s.driverList.contains(where: { compiled.driverNames[Int($0.index)] == "monthly_price low" }) {
                lowPriceDrivers += 1
                XCTAssertLessThan(Double(record["monthly_price"]!)!, price.median, "a 'low' driver's value is below the typical one")
            }
        }
        XCTAssertGreaterThan(lowPriceDrivers, 100)
    }

    // Old: drivers showed neither direction nor value ("MonthlyCharges moderate · odds ×2.2").
    func testDriversCarryValueTypicalAndDirection() throws {
        let compiled = try CompiledModel(Self.telecomModel)
        var record = Fixtures.typicalCustomer(Self.telecomModel)
        record["monthly_price"] = "25.2"
        record["Contract"] = "Month-to-month"
        let s = try compiled.score(record: record)
        XCTAssertFalse(s.driverList.isEmpty)
        var numeric = Self.telecomModel.numeric.map { Double(record[$0.column]!)! }
        let described = numeric.withUnsafeMutableBufferPointer { n in
            s.driverList.map { compiled.driverDetail($0.index, impact: $0.impact, numeric: n.baseAddress!) }
        }
        let price = try XCTUnwrap(described.first { $0.column == "monthly_price" })
        XCTAssertEqual(price.name, "monthly_price low")
        XCTAssertEqual(price.direction, .low)
        XCTAssertEqual(price.value, .number(25.2))
        XCTAssertEqual(price.typical, .number(Self.telecomModel.numeric.first { $0.column == "monthly_price" }!.median))
        let contract = try XCTUnwrap(described.first { $0.column == "Contract" })
        XCTAssertEqual(contract.direction, .is)
        XCTAssertEqual(contract.value, .text("Month-to-month"))
        XCTAssertEqual(contract.typical, .text("Month-to-month"), "the most frequent contract")
        let json = String(decoding: try JSONEncoder().encode(price), as: UTF8.self)
        XCTAssertTrue(json.contains("\"direction\":\"low\"") && json.contains("\"value\":25.2"), json)
    }

    // Old: "odds ×2073950".
    func testOddsShownToPeopleAreCapped() {
        XCTAssertEqual(DriverImpact.oddsFactor(14.545), "×100+")
        XCTAssertEqual(DriverImpact.oddsFactor(Foundation.log(100.0)), "×100+")
        XCTAssertEqual(DriverImpact.oddsFactor(0.788), "×2.2")
        XCTAssertEqual(DriverImpact.oddsFactor(3), "×20")
    }

    // Old: on a SaaS set where long tenure raises risk, "Onboarding programme" went to accounts
    // with a mean tenure of 51 months.
    func testALongTenureThatRaisesRiskGetsNoOnboarding() throws {
        let model = Self.saasModel
        XCTAssertGreaterThan(try XCTUnwrap(model.numeric.first { $0.column == "tenure_months" }).coefficient, 0)
        let compiled = try CompiledModel(model)
        XCTAssertTrue(compiled.driverNames.contains("tenure_months high"))
        XCTAssertFalse(compiled.actions.contains("Onboarding programme"))
        // Low logins do raise risk, and get re-engagement, from Medium risk up only.
        let rule = try XCTUnwrap(model.interventions.rules.first { $0.driver == "weekly_logins" })
        XCTAssertEqual(rule.direction, .low)
        XCTAssertEqual(rule.action, "Re-engagement and product training")
        var reengaged = 0
        for (s, _, _) in try AdviceData.scoreAll(Self.saas, model) where compiled.actions[Int(s.intervention)] == rule.action {
            reengaged += 1
            XCTAssertGreaterThan(s.riskLevel, .low)
            XCTAssertTrue(s.driverList.contains { compiled.driverNames[Int($0.index)] == "weekly_logins low" })
        }
        XCTAssertGreaterThan(reengaged, 50)
    }

    // Old: a rule fired whatever way the value pushed risk; a policy can now say which.
    func testAPolicyRuleWithADirectionOnlyFitsThatDirection() throws {
        var model = Self.saasModel
        model.interventions.rules = [
            .init(driver: "tenure_months", direction: .low, action: "Onboarding programme"),
            .init(driver: "tenure_months high", action: "Renewal review"),
        ]
        let compiled = try CompiledModel(model)
        var record = Fixtures.typicalCustomer(model)
        record["tenure_months"] = "96"
        record["weekly_logins"] = "2"
        let s = try compiled.score(record: record)
        XCTAssertGreaterThan(s.riskLevel, .low)
        XCTAssertEqual(compiled.actions[Int(s.intervention)], "Renewal review")
        model.interventions.rules = [.init(driver: "tenure_months high", direction: .low, action: "x")]
        XCTAssertThrowsError(try CompiledModel(model), "a direction that contradicts the name")
    }

    // Old: fixed 40/70 cut points; on 20% churn the Low group held most churners.
    func testRiskLevelsAreCalibratedToTheChurnRate() throws {
        let model = Self.bankModel
        let rate = model.training.positiveRate
        XCTAssertEqual(rate, 0.2, accuracy: 0.04, "the set is built for about 20% churn")
        XCTAssertEqual(model.thresholds.mediumRisk, Int((100 * rate).rounded()))
        XCTAssertEqual(model.thresholds.highRisk, Int((200 * rate).rounded()))
        let scored = try AdviceData.scoreAll(Self.bank, model)
        let churners = scored.filter(\.churned)
        let churnersLow = churners.filter { $0.score.riskLevel == .low }.count
        let churnersLowOld = churners.filter { RiskLevel.forScore(Int($0.score.riskScore), thresholds: RiskThresholds()) == .low }.count
        // Measured: 31% of churners Low with calibrated cut points, 86% with 40/70.
        XCTAssertLessThan(Double(churnersLow) / Double(churners.count), 0.4)
        XCTAssertGreaterThan(Double(churnersLowOld) / Double(churners.count), 0.7, "the old cut points miss most churners")
        // Low-risk customers get one "no action" intervention, never a retention action.
        let compiled = try CompiledModel(model)
        for (s, _, _) in scored where s.riskLevel == .low { XCTAssertEqual(compiled.actions[Int(s.intervention)], "Monitor") }
        // Cut points given by the user win.
        let fixed = try AdviceData.train(Self.bank, label: "Exited") { $0.thresholds = .init(mediumRisk: 35) }
        XCTAssertEqual(fixed.thresholds.mediumRisk, 35)
        XCTAssertEqual(fixed.thresholds.highRisk, model.thresholds.highRisk)
    }

    func testCalibrationRule() {
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 0.2).mediumRisk, 20)
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 0.2).highRisk, 40)
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 0.265).highRisk, 53)
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 0.5).highRisk, 75)
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 0.001).mediumRisk, 1)
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 0.001).highRisk, 2)
        XCTAssertEqual(RiskThresholds.calibrated(positiveRate: 1).highRisk, 99)
    }

    // Old model files keep loading: stored cut points stay, missing ones are calibrated.
    func testModelFilesWithoutCutPointsAreCalibratedFromTheirChurnRate() throws {
        let encoder = JSONEncoder()
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: encoder.encode(Self.bankModel)) as? [String: Any])
        object["thresholds"] = nil
        var interventions = try XCTUnwrap(object["interventions"] as? [String: Any])
        interventions["lowRiskAction"] = nil
        object["interventions"] = interventions
        var health = try XCTUnwrap(object["health"] as? [String: Any])
        health["categorical"] = nil
        health["scale"] = nil
        object["health"] = health
        let old = try JSONDecoder().decode(ChurnModel.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(old.thresholds, RiskThresholds.calibrated(positiveRate: Self.bankModel.training.positiveRate))
        XCTAssertEqual(old.interventions.lowRiskAction, "Monitor")
        XCTAssertNoThrow(try CompiledModel(old))
        object["thresholds"] = ["decision": 0.5, "mediumRisk": 40, "highRisk": 70]
        let stored = try JSONDecoder().decode(ChurnModel.self, from: JSONSerialization.data(withJSONObject: object))
        XCTAssertEqual(stored.thresholds, RiskThresholds(), "cut points a file states are kept")
    }

    // Old: `Gender=Female` was the first driver for hundreds of bank customers.
    func testProtectedAttributesAreNotFeaturesUnlessAllowed() throws {
        let model = Self.bankModel
        XCTAssertFalse(model.categorical.contains { $0.column == "Gender" })
        let reason = try XCTUnwrap(model.ignoredColumns.first { $0.column == "Gender" }?.reason)
        XCTAssertTrue(reason.contains("protected attribute (gender)") && reason.contains("--allow-sensitive Gender"), reason)
        let allowed = try AdviceData.train(Self.bank, label: "Exited") { $0.allowSensitive = ["Gender"] }
        XCTAssertTrue(allowed.categorical.contains { $0.column == "Gender" })
        for name in ["gender", "Sex", "customer_sex", "Race", "ethnicity", "Religion", "MaritalStatus", "is_married", "Nationality"] {
            XCTAssertNotNil(SensitiveColumns.attribute(of: name), name)
        }
        for name in ["grace_period", "Essex_branch", "tenure_months", "usage", "Geography", "traced_calls"] {
            XCTAssertNil(SensitiveColumns.attribute(of: name), name)
        }
    }

    // Old: `RowNumber` and `CustomerId` became numeric features unless the user flagged them.
    func testIntegerIdentifiersAndRowCountersAreNotFeatures() throws {
        let model = Self.bankModel
        let features = model.numeric.map(\.column) + model.categorical.map(\.column)
        XCTAssertFalse(features.contains("RowNumber"))
        XCTAssertFalse(features.contains("CustomerId"))
        XCTAssertEqual(model.ignoredColumns.first { $0.column == "RowNumber" }?.reason, "identifier-like: row counter")
        XCTAssertEqual(model.ignoredColumns.first { $0.column == "CustomerId" }?.reason, "identifier-like: unique integer per row")
        XCTAssertEqual(model.idColumn, "CustomerId", "a column named like an id is the id, not the row counter")
        XCTAssertTrue(features.contains("Age") && features.contains("IsActiveMember"))
    }

    // Old: health ignored categorical columns, bunched in the middle, and agreed only loosely with risk.
    func testHealthUsesCategoriesSpansThePopulationAndMovesAgainstRisk() throws {
        let model = Self.telecomModel
        XCTAssertEqual(model.health.categorical?.map(\.column), ["Contract"])
        let scored = try AdviceData.scoreAll(Self.telecom, model)
        let health = scored.map { Double($0.score.health) }
        let risk = scored.map(\.score.probability)
        let sorted = health.sorted()
        XCTAssertLessThanOrEqual(sorted[sorted.count / 20], 5, "the least healthy 5% reach the bottom of the scale")
        XCTAssertGreaterThanOrEqual(sorted[sorted.count * 19 / 20], 95, "the healthiest 5% reach the top")
        XCTAssertLessThan(Self.spearman(health, risk), -0.85)
        // Without its categorical measure (the old scorecard) health agrees far less with risk.
        var numericOnly = model
        numericOnly.health.categorical = nil
        let compiled = try CompiledModel(numericOnly)
        let oldHealth = try scored.map { Double(try compiled.score(record: $0.record).health) }
        XCTAssertGreaterThan(Self.spearman(oldHealth, risk), -0.85)
    }

    // Old: "Executive sponsor call" rule on a consumer's $90 monthly bill.
    func testTheHighValueRuleNeedsRevenueAndBusinessSizedValues() throws {
        let consumer = try AdviceData.train(Self.telecom, label: "Churn") { $0.revenueColumn = "monthly_price" }
        XCTAssertEqual(consumer.revenueColumn, "monthly_price")
        XCTAssertNil(consumer.interventions.highValue)
        XCTAssertFalse(consumer.looksLikeBusinessAccounts)
        XCTAssertNil(Self.saasModel.revenueColumn)
        XCTAssertNil(Self.saasModel.interventions.highValue)
        XCTAssertTrue(Self.saasModel.looksLikeBusinessAccounts, "a seats column is a company-sized signal")
        XCTAssertNotNil(Fixtures.trainedModel.interventions.highValue, "the sample's mrr is business-sized")
    }

    // Old: 44% of bank customers got the fallback "Success check-in".
    func testFewCustomersFallBack() throws {
        let compiled = try CompiledModel(Self.bankModel)
        let scored = try AdviceData.scoreAll(Self.bank, Self.bankModel)
        let fallback = scored.filter { compiled.actions[Int($0.score.intervention)] == "Success check-in" }.count
        let atRisk = scored.filter { $0.score.riskLevel > .low }.count
        XCTAssertGreaterThan(atRisk, 0)
        XCTAssertLessThan(Double(fallback) / Double(scored.count), 0.25)
    }

    static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        func ranks(_ x: [Double]) -> [Double] {
            let order = x.indices.sorted { x[$0] < x[$1] }
            var r = [Double](repeating: 0, count: x.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
                for k in i...j { r[order[k]] = Double(i + j) / 2 }
                i = j + 1
            }
            return r
        }
        let ra = ranks(a), rb = ranks(b)
        let ma = ra.reduce(0, +) / Double(ra.count), mb = rb.reduce(0, +) / Double(rb.count)
        var num = 0.0, da = 0.0, db = 0.0
        for i in ra.indices {
            num += (ra[i] - ma) * (rb[i] - mb)
            da += (ra[i] - ma) * (ra[i] - ma)
            db += (rb[i] - mb) * (rb[i] - mb)
        }
        return num / (da * db).squareRoot()
    }
}
