import ChurnMail
import ChurnStore
import Foundation
import XCTest

final class OutboxTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("churn-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func outbox() throws -> OfferOutbox {
        try OfferOutbox(store: try RunStore(path: dir.appendingPathComponent("h.sqlite").path))
    }

    private func offer(_ customer: String, run: Int64 = 1, template: String = "support", email: String? = "a@b.example") -> NewOffer {
        NewOffer(customerId: customer, runId: run, template: template, recipient: email, subject: "s", message: "m",
                 messageId: "id-\(customer)-\(run)-\(template)@x")
    }

    private func stored(_ o: EnqueueOutcome) -> OutboxMessage? {
        if case .stored(let m) = o { return m }
        return nil
    }

    func testTheSameOfferIsStoredOnceEvenFromASecondConnection() throws {
        let a = try outbox()
        XCTAssertEqual(stored(try a.enqueue(offer("C1"), cooldown: 0))?.status, .queued)
        let b = try outbox()
        guard case .duplicate(let m) = try b.enqueue(offer("C1"), cooldown: 0) else { return XCTFail("second enqueue stored a message") }
        XCTAssertEqual(m.customerId, "C1")
        XCTAssertEqual(try a.list().count, 1)
    }

    func testCooldownNoAddressAndOptOutSuppress() throws {
        let o = try outbox()
        let day: TimeInterval = 86_400
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        XCTAssertEqual(stored(try o.enqueue(offer("C1", run: 1), cooldown: 30 * day, now: t0))?.status, .queued)
        let second = stored(try o.enqueue(offer("C1", run: 2, template: "usage"), cooldown: 30 * day, now: t0.addingTimeInterval(10 * day)))
        XCTAssertEqual(second?.status, .suppressed)
        XCTAssertTrue(second?.reason?.hasPrefix("cooldown") ?? false, second?.reason ?? "")
        XCTAssertEqual(stored(try o.enqueue(offer("C1", run: 3), cooldown: 30 * day, now: t0.addingTimeInterval(31 * day)))?.status, .queued)

        let none = stored(try o.enqueue(offer("C2", email: nil), cooldown: 0))
        XCTAssertEqual(none?.status, .suppressed)
        XCTAssertEqual(none?.reason, "no e-mail address")

        try o.optOut(email: "Out@B.example", customerId: "C3")
        let out = stored(try o.enqueue(offer("C3", email: "out@b.example"), cooldown: 0))
        XCTAssertEqual(out?.status, .suppressed)
        XCTAssertEqual(out?.reason, "opted out")
    }

    /// A draft is checked again when it is sent: an offer made since, or an opt-out, suppresses it;
    /// otherwise it goes out with the text it was last edited to.
    func testSendingADraftRechecksCooldownAndOptOutAndTakesTheEditedText() throws {
        let o = try outbox()
        let day: TimeInterval = 86_400
        let t0 = Date(timeIntervalSince1970: 2_000_000)
        let draft = try XCTUnwrap(stored(try o.enqueue(offer("C1", run: 1), asDraft: true, cooldown: 30 * day, now: t0)))
        XCTAssertEqual(draft.status, .draft)
        // Another offer to C1 is sent (queued) from a later run before the draft is sent.
        XCTAssertEqual(stored(try o.enqueue(offer("C1", run: 2), cooldown: 30 * day, now: t0.addingTimeInterval(day)))?.status, .queued)
        let late = try XCTUnwrap(try o.queueDraft(id: draft.id, cooldown: 30 * day, now: t0.addingTimeInterval(2 * day)))
        XCTAssertEqual(late.status, .suppressed)
        XCTAssertTrue(late.reason?.hasPrefix("cooldown") ?? false, late.reason ?? "")
        XCTAssertNil(try o.queueDraft(id: draft.id, cooldown: 0), "no longer a draft")

        // Opted out after the draft was saved.
        let d2 = try XCTUnwrap(stored(try o.enqueue(offer("C2", email: "c2@b.example"), asDraft: true, cooldown: 0)))
        try o.optOut(email: "c2@b.example", customerId: "C2")
        XCTAssertEqual(try o.queueDraft(id: d2.id, cooldown: 0)?.reason, "opted out")

        // Nothing in the way: queued with the edited subject and message; its own draft does not count as a recent offer.
        let d3 = try XCTUnwrap(stored(try o.enqueue(offer("C3"), asDraft: true, cooldown: 30 * day, now: t0)))
        var edited = offer("C3")
        edited.subject = "A better offer"
        edited.message = "edited body"
        let sent = try XCTUnwrap(try o.queueDraft(id: d3.id, edited: edited, cooldown: 30 * day, now: t0.addingTimeInterval(60)))
        XCTAssertEqual(sent.status, .queued)
        XCTAssertNil(sent.reason)
        XCTAssertEqual(sent.subject, "A better offer")
        XCTAssertEqual(sent.message, "edited body")
    }

    func testAClaimedMessageIsHeldByItsLeaseAndReturnsAfterIt() throws {
        let o = try outbox()
        let t0 = Date(timeIntervalSince1970: 2_000_000)
        _ = try o.enqueue(offer("C1"), cooldown: 0, now: t0)
        let claimed = try o.claimNext(dueBy: t0, lease: 60, now: t0)
        XCTAssertEqual(claimed?.status, .sending)
        XCTAssertEqual(claimed?.attempts, 1)
        XCTAssertNil(try o.claimNext(dueBy: t0, lease: 60, now: t0), "a message being sent is not claimed twice")
        XCTAssertEqual(try o.releaseExpiredLeases(now: t0.addingTimeInterval(30)), 0)
        XCTAssertEqual(try o.releaseExpiredLeases(now: t0.addingTimeInterval(61)), 1)
        let again = try o.claimNext(dueBy: t0.addingTimeInterval(61), lease: 60, now: t0.addingTimeInterval(61))
        XCTAssertEqual(again?.attempts, 2)
        XCTAssertEqual(again?.messageId, claimed?.messageId, "a resent message keeps its Message-ID")
    }

    func testDeliveryRetriesTransientFailuresAndFailsOnPermanentOnes() throws {
        let o = try outbox()
        _ = try o.enqueue(offer("OK"), cooldown: 0)
        _ = try o.enqueue(offer("FLAKY"), cooldown: 0)
        _ = try o.enqueue(offer("BAD"), cooldown: 0)
        var flakyTries = 0
        let delivery = OfferDelivery(outbox: o, envelopeFrom: "x@y.example", policy: RetryPolicy(baseDelay: 0.01, maxDelay: 0.05, maxAttempts: 5),
                                     perMinute: 0) { m in
            switch m.customerId {
            case "FLAKY":
                flakyTries += 1
                return flakyTries < 3 ? .transient("451 try later") : .accepted
            case "BAD": return .permanent("550 5.1.1 no such user")
            default: return .accepted
            }
        }
        let tally = try delivery.run(patience: 5)
        XCTAssertEqual(tally.sent, 2)
        XCTAssertEqual(tally.failed, 1)
        XCTAssertEqual(tally.retried, 2)
        let all = Dictionary(uniqueKeysWithValues: try o.list().map { ($0.customerId, $0) })
        XCTAssertEqual(all["FLAKY"]?.status, .sent)
        XCTAssertEqual(all["FLAKY"]?.attempts, 3)
        XCTAssertEqual(all["BAD"]?.status, .failed)
        XCTAssertEqual(all["BAD"]?.reason, "550 5.1.1 no such user")
    }
}
