import ChurnCore
import Foundation
import XCTest

@testable import ChurnReport

/// The report's advice as a customer-success lead reads it (issue 11): capped odds, no money
/// without a revenue column, drivers with direction and values, and e-mail drafts whose sender,
/// offers and wording fit the data.
final class AdviceReportTests: XCTestCase {
    private func customer(_ drivers: [DriverImpact], intervention: String, level: String = "High") -> RankedCustomer {
        RankedCustomer(line: 2, id: "K-1", email: "jane.doe@example.com", revenue: nil, probability: 0.9, riskScore: 90,
                       riskLevel: level, health: 10, drivers: drivers, intervention: intervention, rankKey: 90)
    }

    private let lowPrice = DriverImpact(name: "MonthlyCharges low", impact: 0.79, direction: .low, value: .number(25.2),
                                        typical: .number(70.35))
    private let shortTenure = DriverImpact(name: "tenure low", impact: 1.1, direction: .low, value: .number(2), typical: .number(29))
    private let longTenure = DriverImpact(name: "tenure_months high", impact: 1.1, direction: .high, value: .number(80),
                                          typical: .number(40))

    // Old: "odds ×2073950"; and "$0" revenue tiles and cells for data without revenue.
    func testReportCapsOddsAndShowsNoMoneyWithoutARevenueColumn() {
        var a = ReportFixtures.realisticAggregate()
        a.revenueCents = 0
        a.highRiskRevenueCents = 0
        a.expectedLossCents = 0
        a.top = [customer([DriverImpact(name: "open_tickets high", impact: 14.545, direction: .high, value: .number(40),
                                        typical: .number(1)), lowPrice], intervention: "Dedicated support call")]
        var input = ReportFixtures.input(a)
        input.hasRevenue = false
        input.audience = .consumer
        let html = HTMLReport.render(input)
        XCTAssertTrue(html.contains("odds ×100+"))
        XCTAssertFalse(html.contains("2073950"))
        XCTAssertFalse(html.contains("Total revenue"))
        XCTAssertFalse(html.contains("Revenue</th>"))
        XCTAssertFalse(html.contains("$"))
        XCTAssertTrue(html.contains("Open tickets high: 40 (typical 1)"), "drivers show direction, value and typical value")
        XCTAssertTrue(html.contains("MonthlyCharges low: 25.2 (typical 70.35)"))
    }

    // Old: "Thank you for choosing Customer Success" (the team name as the company name).
    func testDraftsNameOnlyAConfiguredCompanyAndSender() {
        let c = customer([shortTenure], intervention: "Onboarding programme")
        let anonymous = RetentionOffer.draft(for: c)
        XCTAssertFalse(anonymous.body.contains("Customer Success"))
        XCTAssertTrue(anonymous.body.contains("Thank you for choosing us recently"))
        XCTAssertTrue(anonymous.body.hasSuffix("Best regards,\nYour customer success team"))
        let named = RetentionOffer.draft(for: c, sender: .init(company: "Acme Mobile", name: "Dana Reyes"))
        XCTAssertTrue(named.body.contains("Thank you for choosing Acme Mobile recently"))
        XCTAssertTrue(named.body.hasSuffix("Best regards,\nDana Reyes\nThe Acme Mobile team"))
        let checkIn = RetentionOffer.draft(for: customer([], intervention: "Success check-in"), sender: .init(company: "Acme Mobile"))
        XCTAssertTrue(checkIn.body.contains("I'm your contact at Acme Mobile"), checkIn.body)
        XCTAssertTrue(RetentionOffer.draft(for: customer([], intervention: "Success check-in")).body.contains("I'm your contact and"))
    }

    // Old: the sponsor draft promised "a 30-minute call" and then asked for "20 minutes".
    func testEveryDraftOffersOneCallLength() {
        let interventions = ["Executive sponsor call", "Dedicated support call", "Billing help and grace period",
                             "Retention discount with a payment plan", "Re-engagement and product training",
                             "Onboarding programme", "Retention discount", "Longer-contract offer", "Success check-in"]
        for intervention in interventions {
            let body = RetentionOffer.draft(for: customer([], intervention: intervention)).body
            let lengths = Set(body.matches(of: #/(\d+)[- ]minute/#).map { String($0.1) })
            XCTAssertTrue(lengths.isSubset(of: ["\(RetentionOffer.callMinutes)"]), "\(intervention): \(lengths)")
        }
    }

    // Old: "MonthlyCharges moderate" led to a draft offering to cut the plan of a customer paying $25.
    func testDraftCopyFitsTheDriversDirection() {
        let cheap = customer([lowPrice], intervention: "Success check-in", level: "Medium")
        XCTAssertEqual(RetentionOffer.theme(for: cheap), .checkIn)
        let draft = RetentionOffer.draft(for: cheap, audience: .consumer)
        XCTAssertFalse(draft.body.lowercased().contains("discount"))
        XCTAssertFalse(draft.body.contains("only pay for what"))
        let loyal = customer([longTenure, shortTenure], intervention: "Success check-in", level: "Medium")
        XCTAssertEqual(RetentionOffer.driverThemes(loyal), [.tenure], "only the short tenure fits onboarding")
        XCTAssertEqual(RetentionOffer.theme(for: customer([longTenure], intervention: "Success check-in")), .checkIn)
        let expensive = DriverImpact(name: "MonthlyCharges high", impact: 0.8, direction: .high, value: .number(110), typical: .number(70))
        XCTAssertEqual(RetentionOffer.theme(for: customer([expensive], intervention: "Success check-in")), .pricing)
    }

    // Old: "your team" and "partnership" written to retail customers.
    func testConsumerDraftsHaveNoBusinessWording() {
        for intervention in ["Executive sponsor call", "Dedicated support call", "Re-engagement and product training",
                             "Retention discount", "Success check-in"] {
            let c = customer([lowPrice], intervention: intervention)
            let consumer = RetentionOffer.draft(for: c, audience: .consumer)
            for phrase in ["your team", "partnership", "teams like yours"] {
                XCTAssertFalse((consumer.subject + consumer.body).contains(phrase), "\(intervention): \(phrase)")
            }
        }
        let business = RetentionOffer.draft(for: customer([], intervention: "Dedicated support call"), audience: .business)
        XCTAssertTrue(business.subject.contains("your team"))
    }
}
