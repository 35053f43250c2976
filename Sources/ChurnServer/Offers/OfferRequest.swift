import Foundation
import Hummingbird
import NIOCore

/// `POST /api/v1/customers/{id}/offers`: `{"subject": …, "body": …, "send": true|false}` from the
/// "Create retention offer" modal. `send` queues the offer for delivery; without it the offer is
/// saved as a draft (sending the same offer later queues the draft).
enum OfferRequest {
    static func handle(_ data: Data, customerId: String, desk: OfferDesk) throws -> Response {
        guard let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let subject = o["subject"] as? String, let body = o["body"] as? String else {
            throw HTTPError(.badRequest, message: "send {\"subject\": text, \"body\": text, \"send\": true|false}")
        }
        guard !subject.trimmingCharacters(in: .whitespaces).isEmpty, subject.count <= 500, body.count <= 50_000 else {
            throw HTTPError(.badRequest, message: "the subject must not be empty (at most 500 characters; body at most 50,000)")
        }
        let made: OfferDesk.Made
        do {
            made = try desk.make(customerId: customerId, subject: subject, body: body, send: o["send"] as? Bool ?? false)
        } catch let e as OfferDeskError {
            throw HTTPError(.notFound, message: e.description)
        }
        var json = OutboxPage.json(made.message)
        json["duplicate"] = made.duplicate
        return Response(status: made.duplicate ? .ok : .created, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(data: try RunJSON.data(json))))
    }
}
