import ChurnMail
import Foundation
import XCTest

final class MailFormatTests: XCTestCase {
    func testNonASCIISubjectIsEncodedAsRFC2047WordsThatDecodeBack() {
        let subject = "Ein Rabatt für Sie, Zoë — 20 % auf Ihren Vertrag, gültig bis Ende des Monats"
        let encoded = MailHeaderText.encode(subject)
        let words = encoded.components(separatedBy: "\r\n ")
        XCTAssertGreaterThan(words.count, 1)
        var decoded = Data()
        for w in words {
            XCTAssertLessThanOrEqual(w.count, 75, w)
            XCTAssertTrue(w.hasPrefix("=?UTF-8?B?") && w.hasSuffix("?="), w)
            let b64 = String(w.dropFirst(10).dropLast(2))
            let bytes = Data(base64Encoded: b64)!
            XCTAssertNotNil(String(data: bytes, encoding: .utf8), "each word holds whole characters")
            decoded += bytes
        }
        XCTAssertEqual(String(data: decoded, encoding: .utf8), subject)
        XCTAssertEqual(MailHeaderText.encode("Plain subject"), "Plain subject")
    }

    func testDisplayNamesAreQuotedOrEncoded() {
        XCTAssertEqual(MailHeaderText.address(MailAddress(name: "Dana Reyes", email: "dana@acme.example")), "Dana Reyes <dana@acme.example>")
        XCTAssertEqual(MailHeaderText.address(MailAddress(name: "Reyes, Dana", email: "d@a.example")), "\"Reyes, Dana\" <d@a.example>")
        XCTAssertTrue(MailHeaderText.address(MailAddress(name: "Zoë", email: "z@a.example")).hasPrefix("=?UTF-8?B?"))
        XCTAssertEqual(MailAddress(parsing: "Dana Reyes <dana@acme.example>"), MailAddress(name: "Dana Reyes", email: "dana@acme.example"))
        XCTAssertNil(MailAddress(parsing: "not an address"))
        XCTAssertNil(MailAddress(parsing: "a@b"))
    }

    func testDateIsRFC5322() {
        XCTAssertEqual(MailHeaderText.date(Date(timeIntervalSince1970: 1_796_056_000)), "Mon, 30 Nov 2026 16:26:40 +0000")
    }

    func testMessageIsSevenBitWithShortLinesAndBothParts() {
        let m = MailMessage(from: MailAddress(name: "Acme", email: "offers@acme.example"), to: MailAddress(email: "jane@example.com"),
                            subject: "Grüße", date: Date(), messageId: "x.1@acme.example",
                            text: "Hello Zoë,\n\n" + String(repeating: "long line ", count: 30) + "\n.starts with a dot ", html: "<p>Zoë</p>")
        let raw = m.rendered()
        XCTAssertTrue(raw.utf8.allSatisfy { $0 < 0x80 })
        for line in raw.components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.count, 78, line) }
        XCTAssertFalse(raw.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "only CRLF line ends")
        XCTAssertTrue(raw.contains("Content-Type: text/plain; charset=UTF-8"))
        XCTAssertTrue(raw.contains("Content-Type: text/html; charset=UTF-8"))
        XCTAssertTrue(raw.contains("Zo=C3=AB"))
        XCTAssertTrue(raw.contains("Message-ID: <x.1@acme.example>"))
        XCTAssertTrue(raw.contains("dot=20\r\n"), "trailing space is encoded")
    }

    func testUnsubscribeTokenVerifiesOnlyWithItsKey() {
        let key = Array(repeating: UInt8(7), count: 32)
        let token = UnsubscribeToken.make(customerId: "C-17", email: "Jane@Example.com", key: key)
        let back = UnsubscribeToken.verify(token, key: key)
        XCTAssertEqual(back?.customerId, "C-17")
        XCTAssertEqual(back?.email, "jane@example.com")
        XCTAssertNil(UnsubscribeToken.verify(token, key: Array(repeating: 8, count: 32)))
        var tampered = Array(token)
        tampered[2] = tampered[2] == "A" ? "B" : "A"
        XCTAssertNil(UnsubscribeToken.verify(String(tampered), key: key))
        XCTAssertNil(UnsubscribeToken.verify("garbage", key: key))
    }

    func testSMTPURLs() {
        let u = SMTPURL("smtp://apikey@smtp.example.com:587")
        XCTAssertEqual(u?.user, "apikey")
        XCTAssertEqual(u?.host, "smtp.example.com")
        XCTAssertEqual(u?.port, 587)
        XCTAssertEqual(u?.implicitTLS, false)
        XCTAssertEqual(SMTPURL("smtps://mail.example.com")?.port, 465)
        XCTAssertEqual(SMTPURL("smtps://mail.example.com")?.implicitTLS, true)
        XCTAssertEqual(SMTPURL("smtp://127.0.0.1:2525")?.curlURL, "smtp://127.0.0.1:2525")
        XCTAssertNil(SMTPURL("http://example.com"))
        XCTAssertNil(SMTPURL("smtp://host:99999"))
        XCTAssertNil(SMTPURL("smtp://"))
    }

    func testBackOffDoublesUpToItsCapAndTheRateLimiterSpacesSends() {
        let p = RetryPolicy(baseDelay: 2, maxDelay: 10, maxAttempts: 5)
        XCTAssertEqual((1...5).map { p.delay(afterAttempt: $0) }, [2, 4, 8, 10, 10])
        var r = RateLimiter(perMinute: 30)
        let t0 = Date(timeIntervalSince1970: 1000)
        XCTAssertEqual(r.reserve(now: t0), t0)
        XCTAssertEqual(r.reserve(now: t0), t0.addingTimeInterval(2))
        XCTAssertEqual(r.reserve(now: t0.addingTimeInterval(10)), t0.addingTimeInterval(10))
        var unlimited = RateLimiter(perMinute: 0)
        _ = unlimited.reserve(now: t0)
        XCTAssertEqual(unlimited.reserve(now: t0), t0)
    }
}

final class OfferTemplateTests: XCTestCase {
    func testATemplateFileIsReadAndAnUnknownPlaceholderNamesFileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("churn-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "Subject: Hi {{name}}\n\nDear {{name}},\n{{offer}}\n".write(to: dir.appendingPathComponent("good.txt"), atomically: true, encoding: .utf8)
        let good = try XCTUnwrap(try OfferTemplate.load(directory: dir.path, name: "good"))
        let rendered = good.render(["name": "Jane", "offer": "A discount"])
        XCTAssertEqual(rendered.subject, "Hi Jane")
        XCTAssertEqual(rendered.body, "Dear Jane,\nA discount\n")
        XCTAssertNil(try OfferTemplate.load(directory: dir.path, name: "missing"))

        try "Subject: Hi\n\nDear {{name}},\n{{discount_code}}\n".write(to: dir.appendingPathComponent("bad.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try OfferTemplate.load(directory: dir.path, name: "bad")) { error in
            XCTAssertTrue("\(error)".contains("bad.txt:4: unknown placeholder {{discount_code}}"), "\(error)")
        }
        try "Dear {{name}}\n".write(to: dir.appendingPathComponent("nosubject.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try OfferTemplate.load(directory: dir.path, name: "nosubject")) { error in
            XCTAssertTrue("\(error)".contains("nosubject.txt:1: must start with a \"Subject:\" line"), "\(error)")
        }
    }
}
