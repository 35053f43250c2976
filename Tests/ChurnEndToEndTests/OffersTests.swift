import Foundation
import XCTest

/// `churn offers` against a real SMTP server (aiosmtpd) on loopback: what arrives, and what the
/// outbox does when the server is down, answers 4xx or 5xx, when an offer is sent twice, and when
/// the sender stops with mail queued or mid-send.
final class OffersTests: XCTestCase {
    private var dir: URL!
    private var db: String!

    /// A scored run (run 1) of the committed test set, in which C00000003 has no e-mail address.
    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        var lines = try String(contentsOfFile: ChurnBinary.testCSV, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var fields = lines[3].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(fields[0], "C00000003")
        fields[1] = ""
        lines[3] = fields.joined(separator: ",")
        let input = dir.appendingPathComponent("customers.csv")
        try lines.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        db = dir.appendingPathComponent("history.sqlite").path
        let r = try ChurnBinary.run(["score", input.path, "--model", model, "--out", dir.appendingPathComponent("out.csv").path,
                                     "--db", db, "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func server() -> SMTPTestServer {
        SMTPTestServer(maildir: dir.appendingPathComponent("mail-\(UUID().uuidString.prefix(8))"))
    }

    private func offers(_ arguments: [String], _ server: SMTPTestServer, fast: Bool = true) throws -> ChurnBinary.Result {
        let smtp = ["--smtp", server.url, "--from", "Dana Reyes <offers@acme.example>", "--db", db!]
        let speed = fast ? ["--rate", "0", "--retry-delay", "100ms", "--retry-for", "0s"] : []
        return try ChurnBinary.run(["offers"] + arguments + smtp + speed)
    }

    private func outbox(_ status: String? = nil) throws -> [[String: Any]] {
        let r = try ChurnBinary.run(["offers", "list", "--json", "--db", db!] + (status.map { s -> [String] in ["--status", s] } ?? []))
        XCTAssertEqual(r.status, 0, r.stderr)
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] ?? []
    }

    func testAnOfferArrivesWithItsHeadersBothPartsAndEncodedText() throws {
        let smtp = server()
        try smtp.start()
        defer { smtp.stop() }
        // An edited template with a non-ASCII subject, for two customers; C00000003 has no address.
        let templates = dir.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try """
            Subject: Ein Angebot für Sie, {{customer_id}} — Zoë’s Télécom

            Hallo {{name}},

            {{offer}}.

            Grüße, {{sender}}
            Abmelden: {{unsubscribe_url}}
            """.write(to: templates.appendingPathComponent("welcome.txt"), atomically: true, encoding: .utf8)
        let r = try offers(["send", "--run", "1", "--customers", "C00000001,C00000003", "--templates", templates.path,
                            "--template", "welcome", "--unsubscribe-url", "https://dash.example.com/unsubscribe"], smtp)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("C00000003 <no e-mail address> welcome: suppressed (no e-mail address)"), r.stdout)

        let received = try smtp.messages()
        XCTAssertEqual(received.count, 1)
        let m = try XCTUnwrap(received.first)
        let raw = try XCTUnwrap(m["raw"] as? [String: String])
        XCTAssertTrue(raw["Subject"]?.hasPrefix("=?UTF-8?B?") ?? false, "non-ASCII subject is RFC 2047 encoded: \(raw)")
        XCTAssertEqual(m["subject"] as? String, "Ein Angebot für Sie, C00000001 — Zoë’s Télécom")
        XCTAssertEqual(m["from"] as? String, "Dana Reyes <offers@acme.example>")
        XCTAssertEqual(m["to"] as? String, "c00000001@example.com")
        XCTAssertEqual(m["seven_bit"] as? Bool, true)
        let sent = try XCTUnwrap(m["date_unix"] as? Double)
        XCTAssertLessThan(abs(sent - Date().timeIntervalSince1970), 600, "Date header is the sending time")
        let listed = try outbox("sent")
        XCTAssertEqual(listed.count, 1)
        XCTAssertEqual(m["message_id"] as? String, "<\(listed.first?["messageId"] as? String ?? "?")>")
        XCTAssertEqual(m["content_type"] as? String, "multipart/alternative")
        let parts = try XCTUnwrap(m["parts"] as? [[String: Any]])
        XCTAssertEqual(parts.map { $0["type"] as? String }, ["text/plain", "text/html"])
        for p in parts {
            XCTAssertEqual(p["charset"] as? String, "utf-8")
            XCTAssertEqual(p["encoding"] as? String, "quoted-printable")
            let text = p["text"] as? String ?? ""
            XCTAssertTrue(text.contains("Grüße, Dana Reyes"), text)
            XCTAssertTrue(text.contains("https://dash.example.com/unsubscribe?token="), text)
        }
        XCTAssertTrue((parts[1]["text"] as? String ?? "").contains("<a href=\"https://dash.example.com/unsubscribe?token="))
        XCTAssertTrue((raw["List-Unsubscribe"] ?? "").contains("https://dash.example.com/unsubscribe?token="))
        let suppressed = try outbox("suppressed")
        XCTAssertEqual(suppressed.first?["customer"] as? String, "C00000003")
        XCTAssertEqual(suppressed.first?["reason"] as? String, "no e-mail address")
    }

    func testTheBuiltInDraftIsSentForTheRunsTopCustomers() throws {
        let smtp = server()
        try smtp.start()
        defer { smtp.stop() }
        let r = try offers(["send", "--run", "1", "--top", "3", "--company", "Acme Télécom"], smtp)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        let received = try smtp.messages()
        XCTAssertEqual(received.count, 3)
        for m in received {
            let text = ((m["parts"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
            XCTAssertTrue(text.contains("The Acme Télécom team"), text)
            XCTAssertTrue(text.contains("Dana Reyes"), text)
        }
        XCTAssertEqual(try outbox("sent").count, 3)
    }

    func testServerDownLeavesMailQueuedAndDeliverSendsItOnceTheServerIsUp() throws {
        let smtp = server()
        let down = try offers(["send", "--run", "1", "--customers", "C00000001,C00000002"], smtp)
        XCTAssertEqual(down.status, 3, down.stdout + down.stderr)
        let queued = try outbox("queued")
        XCTAssertEqual(queued.count, 2)
        XCTAssertTrue((queued.first?["reason"] as? String ?? "").contains("onnect"), "\(queued)")

        try smtp.start()
        defer { smtp.stop() }
        let up = try offers(["deliver"], smtp)
        XCTAssertEqual(up.status, 0, up.stdout + up.stderr)
        XCTAssertEqual(try smtp.messages().count, 2)
        XCTAssertEqual(try outbox("sent").count, 2)
        // A restart later finds nothing left to send.
        let again = try offers(["deliver"], smtp)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try smtp.messages().count, 2)
    }

    func testA4xxReplyIsRetriedWithBackOffUntilAccepted() throws {
        let smtp = server()
        try smtp.start(["--tempfail", "2"])
        defer { smtp.stop() }
        let r = try offers(["send", "--run", "1", "--customers", "C00000002", "--rate", "0", "--retry-delay", "100ms", "--retry-for", "30s"],
                           smtp, fast: false)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertEqual(smtp.replies.map { String($0.prefix(3)) }, ["451", "451", "250"])
        let sent = try outbox("sent")
        XCTAssertEqual(sent.first?["attempts"] as? Int, 3)
        XCTAssertEqual(try smtp.messages().count, 1)
    }

    func testA5xxReplyFailsTheMessageWithTheServersText() throws {
        let smtp = server()
        try smtp.start(["--reject", "c00000001@"])
        defer { smtp.stop() }
        let r = try offers(["send", "--run", "1", "--customers", "C00000001,C00000002"], smtp)
        XCTAssertEqual(r.status, 3, r.stdout + r.stderr)
        let failed = try outbox("failed")
        XCTAssertEqual(failed.count, 1)
        XCTAssertEqual(failed.first?["customer"] as? String, "C00000001")
        XCTAssertEqual(failed.first?["attempts"] as? Int, 1, "a 5xx is not retried")
        XCTAssertTrue((failed.first?["reason"] as? String ?? "").contains("550 5.1.1 <c00000001@example.com>: Recipient address rejected"),
                      "\(failed)")
        XCTAssertEqual(try smtp.messages().count, 1, "the other customer's offer still went out")
    }

    func testADryRunPrintsTheMessagesAndQueuesNothing() throws {
        let smtp = server()
        try smtp.start()
        defer { smtp.stop() }
        let r = try offers(["send", "--run", "1", "--customers", "C00000001,C00000003", "--dry-run"], smtp)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("----- C00000001: c00000001@example.com"), r.stdout)
        XCTAssertTrue(r.stdout.contains("----- C00000003: no e-mail address: would not be sent"), r.stdout)
        XCTAssertTrue(r.stdout.contains("Content-Type: multipart/alternative"), r.stdout)
        XCTAssertEqual(try outbox().count, 0)
        XCTAssertEqual(try smtp.messages().count, 0)
    }

    func testTheSameOfferTwiceSendsOneMessageAndCooldownHoldsBackAnother() throws {
        let smtp = server()
        try smtp.start()
        defer { smtp.stop() }
        let first = try offers(["send", "--run", "1", "--customers", "C00000002"], smtp)
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try offers(["send", "--run", "1", "--customers", "C00000002"], smtp)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("already in the outbox"), second.stdout)
        XCTAssertEqual(try smtp.messages().count, 1)
        // Another template for the same customer within the cooldown: suppressed, not sent.
        let other = try offers(["send", "--run", "1", "--customers", "C00000002", "--template", "usage"], smtp)
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(other.stdout.contains("suppressed (cooldown"), other.stdout)
        XCTAssertEqual(try smtp.messages().count, 1)
        // With no cooldown it goes out.
        let noCooldown = try offers(["send", "--run", "1", "--customers", "C00000002", "--template", "tenure", "--cooldown", "0"], smtp)
        XCTAssertEqual(noCooldown.status, 0, noCooldown.stderr)
        XCTAssertEqual(try smtp.messages().count, 2)
    }

    /// A self-signed certificate (and its key) for 127.0.0.1, made with openssl for this test.
    private func selfSignedCertificate() throws -> (cert: String, key: String) {
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let openssl = try ChurnBinary.runProcess(URL(fileURLWithPath: "/usr/bin/env"), [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "2"])
        XCTAssertEqual(openssl.status, 0, openssl.stderr)
        return (cert, key)
    }

    func testSTARTTLSAndAUTHWithAPasswordFileAndAPrivateCA() throws {
        // A self-signed certificate for 127.0.0.1; the server requires STARTTLS before MAIL and AUTH.
        let (cert, key) = try selfSignedCertificate()
        let smtp = server()
        try smtp.start(["--starttls", cert, key, "--auth", "apikey:s3cret pass"])
        defer { smtp.stop() }
        let passwordFile = dir.appendingPathComponent("smtp-password")
        try "s3cret pass\n".write(to: passwordFile, atomically: true, encoding: .utf8)
        let url = "smtp://apikey@127.0.0.1:\(smtp.port)"

        let ok = try ChurnBinary.run(["offers", "send", "--run", "1", "--customers", "C00000001", "--smtp", url, "--smtp-password-file",
                                      passwordFile.path, "--smtp-ca", cert, "--from", "offers@acme.example", "--db", db!, "--rate", "0"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(smtp.replies, ["AUTH PLAIN accepted", "250 2.0.0 Message accepted for delivery"])
        XCTAssertEqual(try smtp.messages().count, 1)

        // Without the password: the server's 530 fails the message.
        let noAuth = try ChurnBinary.run(["offers", "send", "--run", "1", "--customers", "C00000002", "--smtp", "smtp://127.0.0.1:\(smtp.port)",
                                          "--smtp-ca", cert, "--from", "offers@acme.example", "--db", db!, "--rate", "0", "--cooldown", "0"])
        XCTAssertEqual(noAuth.status, 3, noAuth.stdout + noAuth.stderr)
        let failed = try outbox("failed")
        XCTAssertTrue((failed.first?["reason"] as? String ?? "").hasPrefix("530"), "\(failed)")
        // Without trusting the certificate: nothing is sent, the message stays queued.
        let untrusted = try ChurnBinary.run(["offers", "send", "--run", "1", "--customers", "C00000004", "--smtp", url, "--smtp-password-file",
                                             passwordFile.path, "--from", "offers@acme.example", "--db", db!, "--rate", "0", "--cooldown", "0",
                                             "--retry-for", "0s"])
        XCTAssertEqual(untrusted.status, 3, untrusted.stdout + untrusted.stderr)
        let queued = try outbox("queued")
        XCTAssertTrue((queued.first?["reason"] as? String ?? "").contains("certificate"), "\(queued)")
        XCTAssertEqual(try smtp.messages().count, 1)
    }

    func testImplicitTLSWithSMTPSAndAPrivateCA() throws {
        let (cert, key) = try selfSignedCertificate()
        let smtp = server()
        try smtp.start(["--smtps", cert, key])
        defer { smtp.stop() }
        let url = "smtps://127.0.0.1:\(smtp.port)"

        let ok = try ChurnBinary.run(["offers", "send", "--run", "1", "--customers", "C00000001", "--smtp", url, "--smtp-ca", cert,
                                      "--from", "offers@acme.example", "--db", db!, "--rate", "0"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertEqual(smtp.replies, ["250 2.0.0 Message accepted for delivery"])
        let messages = try smtp.messages()
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(try outbox("sent").count, 1)
    }

    func testASenderKilledMidSendLeavesTheMessageSendingAndTheNextDeliveryResendsItOnce() throws {
        let smtp = server()
        try smtp.start(["--slow-data", "3"])
        defer { smtp.stop() }
        let p = Process()
        p.executableURL = ChurnBinary.url
        p.arguments = ["offers", "send", "--run", "1", "--customers", "C00000002", "--smtp", smtp.url, "--from", "offers@acme.example",
                       "--db", db!, "--lease", "1s", "--rate", "0"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Kill the sender once the server holds the whole message but has not answered yet.
        let deadline = Date().addingTimeInterval(30)
        while !smtp.replies.contains(where: { $0.hasPrefix("DATA received") }) && Date() < deadline { usleep(20_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(try outbox("sending").count, 1, "the killed sender never recorded the outcome")
        usleep(1_500_000)   // the lease (1 s) runs out

        let r = try offers(["deliver"], smtp)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("left in sending by a stopped process"), r.stdout)
        let sent = try outbox("sent")
        XCTAssertEqual(sent.first?["attempts"] as? Int, 2)
        // At-least-once: the server may have the message twice, always with the same Message-ID.
        let received = try smtp.messages()
        XCTAssertEqual(received.count, 2)
        XCTAssertEqual(Set(received.map { $0["message_id"] as? String ?? "" }).count, 1)
        let again = try offers(["deliver"], smtp)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try smtp.messages().count, 2, "nothing more is sent after the outcome is recorded")
    }
}
