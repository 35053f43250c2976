import ChurnCore
import XCTest

@testable import ChurnReport

final class RetentionOfferTests: XCTestCase {
    private func customer(_ drivers: [String], intervention: String, email: String = "jane.doe@example.com",
                          level: String = "High") -> RankedCustomer {
        RankedCustomer(line: 2, id: "C-1", email: email, revenue: 100, probability: 0.9, riskScore: 90, riskLevel: level,
                       health: 10, drivers: drivers.map { DriverImpact(name: $0, impact: 1) }, intervention: intervention,
                       rankKey: 90)
    }

    func testThemeFollowsDriversAndIntervention() {
        XCTAssertEqual(RetentionOffer.theme(for: customer(["open_tickets"], intervention: "Executive sponsor call")), .executiveSponsor)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["recent_support_escalations"], intervention: "Dedicated support call")), .support)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["failed_payments"], intervention: "Billing help and grace period")), .payments)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["days_since_last_login"], intervention: "x")), .usage)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["tenure_months"], intervention: "x")), .tenure)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["segment=small-business"], intervention: "Success check-in")), .checkIn)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["price_increase_pct"], intervention: "Success check-in")), .pricing)
        XCTAssertEqual(RetentionOffer.theme(for: customer([], intervention: "Re-engagement and product training")), .usage)
        // The suggested intervention leads, so the e-mail matches the action shown beside it.
        XCTAssertEqual(RetentionOffer.theme(for: customer(["failed_payments"], intervention: "Dedicated support call")), .support)
        XCTAssertEqual(RetentionOffer.theme(for: customer(["payment_streak"], intervention: "Success check-in")), .payments)
    }

    func testDraftsAreWordedForTheirTheme() {
        let support = RetentionOffer.draft(for: customer(["open_tickets", "failed_payments"], intervention: "Dedicated support call"),
                                           sender: .init(company: "Acme"))
        XCTAssertTrue(support.subject.contains("dedicated support engineer"))
        XCTAssertTrue(support.body.hasPrefix("Hello Jane,"))
        XCTAssertTrue(support.body.contains("sorry"))
        XCTAssertTrue(support.body.contains("payment issue"), "the second driver gets a sentence")
        XCTAssertTrue(support.body.contains("your account (C-1)"))
        XCTAssertTrue(support.body.hasSuffix("The Acme team"))

        let discount = RetentionOffer.draft(for: customer(["failed_payments"], intervention: "Retention discount with a payment plan"),
                                            sender: .init(company: "Acme"))
        XCTAssertTrue(discount.subject.contains("discount"))
        let loyalty = RetentionOffer.draft(for: customer(["price_increase_pct"], intervention: "Retention discount"), sender: .init(company: "Acme"))
        XCTAssertTrue(loyalty.subject.contains("loyalty discount"))
        XCTAssertFalse(loyalty.body.contains("payments"), "no payment trouble to mention")
        let grace = RetentionOffer.draft(for: customer(["failed_payments"], intervention: "Billing help and grace period"), sender: .init(company: "Acme"))
        XCTAssertTrue(grace.subject.contains("grace period"))
        XCTAssertTrue(RetentionOffer.draft(for: customer(["usage_drop_pct"], intervention: "x"), sender: .init(company: "Acme")).subject.contains("training"))
        XCTAssertTrue(RetentionOffer.draft(for: customer(["tenure_months"], intervention: "x"), sender: .init(company: "Acme")).subject.contains("onboarding"))
        XCTAssertTrue(RetentionOffer.draft(for: customer(["mrr"], intervention: "Executive sponsor call"), sender: .init(company: "Acme"))
            .subject.contains("executive sponsor"))
        let checkIn = RetentionOffer.draft(for: customer([], intervention: "Success check-in", email: "", level: "Medium"), sender: .init(company: "Acme"))
        XCTAssertTrue(checkIn.subject.contains("Checking in"))
        XCTAssertTrue(checkIn.body.hasPrefix("Hello there,"))
    }

    func testGreetingNameOnlyForPersonalAddresses() {
        XCTAssertEqual(RetentionOffer.greetingName("maria.lopez@x.example"), "Maria")
        XCTAssertEqual(RetentionOffer.greetingName("JOHN_SMITH@x.example"), "John")
        XCTAssertEqual(RetentionOffer.greetingName("billing@x.example"), "there")
        XCTAssertEqual(RetentionOffer.greetingName("support.team@x.example"), "there")
        XCTAssertEqual(RetentionOffer.greetingName("j.chen@x.example"), "there")
        XCTAssertEqual(RetentionOffer.greetingName("x9@x.example"), "there")
        XCTAssertEqual(RetentionOffer.greetingName(""), "there")
    }
}
