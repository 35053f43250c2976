import Foundation
import XCTest

/// The dashboard's retention offers through a real `churn serve` and a real SMTP server on loopback:
/// the modal's send and save-draft requests, the outbox, and the unsubscribe page.
final class ServeOffersTests: XCTestCase {
    private var dir: URL!
    private var smtp: SMTPTestServer!
    private var server: ServeProcess!

    override func setUpWithError() throws {
        dir = ChurnBinary.temporaryDirectory()
        let model = try ChurnBinary.trainModel(in: dir)
        smtp = SMTPTestServer(maildir: dir.appendingPathComponent("mail"))
        try smtp.start()
        server = try ServeProcess(model: model, dataDir: dir.appendingPathComponent("data"),
                                  extra: ["--smtp", smtp.url, "--from", "Dana Reyes <offers@acme.example>", "--company", "Acme Télécom",
                                          "--unsubscribe-url", "https://churn.acme.example/unsubscribe"])
    }

    override func tearDown() {
        server?.stop()
        smtp?.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    private func post(_ path: String, _ object: [String: Any]) throws -> ServeProcess.Reply {
        try server.request("POST", path, body: try JSONSerialization.data(withJSONObject: object), contentType: "application/json")
    }

    private func outbox(_ status: String) throws -> [[String: Any]] {
        try XCTUnwrap(try server.get("/api/v1/outbox?status=\(status)").json() as? [[String: Any]])
    }

    func testTheModalSendsThroughTheOutboxOnceAndTheUnsubscribeLinkRecordsTheOptOut() throws {
        let runId = try server.upload(URL(fileURLWithPath: ChurnBinary.testCSV))
        XCTAssertEqual(try server.waitForRun(runId)["status"] as? String, "succeeded")
        let summary = try server.get("/api/v1/runs/\(runId)/summary.json").object()
        let top = try XCTUnwrap(summary["top"] as? [[String: Any]])
        let first = try XCTUnwrap(top.first?["id"] as? String), second = try XCTUnwrap(top.dropFirst().first?["id"] as? String)

        // The modal's draft is signed as --from's name, of --company.
        let customerPage = try server.get("/customers/\(first)").text
        let modalBody = customerPage.components(separatedBy: "id=\"offer-body\"").last?.components(separatedBy: "</textarea>").first ?? ""
        XCTAssertTrue(modalBody.contains("Dana Reyes"), modalBody)
        XCTAssertTrue(modalBody.contains("Acme Télécom"), modalBody)

        // Send: queued, then delivered by the server.
        let sent = try post("/api/v1/customers/\(first)/offers", ["subject": "Ein Angebot für Sie", "body": "Hallo,\n\nhier ist Ihr Angebot.", "send": true])
        XCTAssertEqual(sent.status, 201, sent.text)
        let deadline = Date().addingTimeInterval(60)
        while try outbox("sent").isEmpty && Date() < deadline { usleep(100_000) }
        XCTAssertEqual(try outbox("sent").first?["customerId"] as? String, first)
        let received = try smtp.messages()
        XCTAssertEqual(received.count, 1)
        let message = try XCTUnwrap(received.first)
        XCTAssertEqual(message["subject"] as? String, "Ein Angebot für Sie")
        let text = (((message["parts"] as? [[String: Any]])?.first?["text"] as? String) ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        XCTAssertTrue(text.hasPrefix("Hallo,\n\nhier ist Ihr Angebot."), text)
        XCTAssertTrue(text.contains("https://churn.acme.example/unsubscribe?token="), text)

        // The same offer again: nothing new.
        let again = try post("/api/v1/customers/\(first)/offers", ["subject": "Ein Angebot für Sie", "body": "Noch einmal", "send": true])
        XCTAssertEqual(again.status, 200, again.text)
        XCTAssertEqual(try again.object()["duplicate"] as? Bool, true)

        // Save draft: kept, not sent; shown on the outbox and customer pages.
        let draft = try post("/api/v1/customers/\(second)/offers", ["subject": "Draft for later", "body": "Not yet.", "send": false])
        XCTAssertEqual(draft.status, 201, draft.text)
        XCTAssertEqual(try draft.object()["status"] as? String, "draft")
        let page = try server.get("/outbox")
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("Draft for later") && page.text.contains(">sent</span>") && page.text.contains(">draft</span>"), page.text)
        XCTAssertTrue(try server.get("/customers/\(second)").text.contains("Draft for later"))
        XCTAssertEqual(try smtp.messages().count, 1)

        // The unsubscribe link: a GET only asks; the POST records; a forged token is refused. No account needed.
        let token = try XCTUnwrap(text.components(separatedBy: "unsubscribe?token=").last?.split(whereSeparator: { $0.isWhitespace }).first.map(String.init))
        let ask = try server.get("/unsubscribe?token=\(token)")
        XCTAssertEqual(ask.status, 200)
        XCTAssertTrue(ask.text.contains("Stop sending offers to"), ask.text)
        let confirm = try server.request("POST", "/unsubscribe?token=\(token)")
        XCTAssertEqual(confirm.status, 200)
        XCTAssertTrue(confirm.text.contains("will receive no more offers"), confirm.text)
        XCTAssertEqual(try server.get("/unsubscribe?token=x\(token)").status, 400)

        // The opt-out holds for every later offer to that address, whatever the cooldown.
        let cli = try ChurnBinary.run(["offers", "send", "--run", String(runId), "--customers", first, "--template", "usage", "--cooldown", "0",
                                       "--smtp", smtp.url, "--from", "offers@acme.example", "--rate", "0",
                                       "--db", dir.appendingPathComponent("data/history.sqlite").path])
        XCTAssertEqual(cli.status, 0, cli.stdout + cli.stderr)
        XCTAssertTrue(cli.stdout.contains("suppressed (opted out)"), cli.stdout)
        XCTAssertEqual(try smtp.messages().count, 1)
    }
}
