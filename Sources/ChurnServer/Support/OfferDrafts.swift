import ChurnCore
import Foundation
import Hummingbird

/// Retention-offer drafts saved from the customer page, one JSON-lines file per customer under
/// `<data>/offers`. Sending them is the e-mail issue's outbox; until then they are drafts.
struct OfferDrafts {
    let directory: String

    /// One saved draft.
    struct Draft {
        var customerId: String
        var subject: String
        var body: String
        var savedAt: Date
        var status = "draft"

        var json: [String: Any] {
            ["customerId": customerId, "subject": subject, "body": body, "savedAt": RunJSON.iso(savedAt), "status": status]
        }

        /// `{"subject": …, "body": …}` from the client.
        static func decode(_ data: Data, customerId: String) throws -> Draft {
            guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let subject = o["subject"] as? String, let body = o["body"] as? String else {
                throw HTTPError(.badRequest, message: "send {\"subject\": text, \"body\": text}")
            }
            guard !subject.trimmingCharacters(in: .whitespaces).isEmpty, subject.count <= 500, body.count <= 50_000 else {
                throw HTTPError(.badRequest, message: "the subject must not be empty (at most 500 characters; body at most 50,000)")
            }
            return Draft(customerId: customerId, subject: subject, body: body, savedAt: Date())
        }
    }

    /// The customer's file: named by a hash of the id, so no id is ever a path.
    private func file(_ customerId: String) -> String {
        var h = FNV1a64()
        Array(customerId.utf8).withUnsafeBytes { h.update($0) }
        return directory + "/\(h.hex).jsonl"
    }

    func save(_ draft: Draft) throws {
        var line = try RunJSON.data(draft.json)
        line.append(0x0A)
        let path = file(draft.customerId)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw HTTPError(.internalServerError, message: "cannot save the draft") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }

    /// The customer's drafts, newest first.
    func list(customerId: String) -> [Draft] {
        guard let text = try? String(contentsOfFile: file(customerId), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                  o["customerId"] as? String == customerId,
                  let subject = o["subject"] as? String, let body = o["body"] as? String else { return nil }
            let saved = (o["savedAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) } ?? Date(timeIntervalSince1970: 0)
            return Draft(customerId: customerId, subject: subject, body: body, savedAt: saved)
        }.reversed()
    }
}
