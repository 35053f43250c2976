import Foundation

/// Where a retention offer is in its life: `draft` (saved, not to be sent yet) or
/// `queued → sending → sent | failed | suppressed`.
public enum OutboxStatus: String, Codable, Sendable, CaseIterable {
    case draft, queued, sending, sent, failed, suppressed
}

/// One retention offer in the outbox: who, which run and template (the offer's identity), the
/// complete RFC 5322 message as it goes on the wire, and its delivery state.
public struct OutboxMessage: Codable, Equatable, Sendable {
    public var id: Int64
    public var customerId: String
    public var runId: Int64
    /// The template's name (a theme of `RetentionOffer`, or a custom template's file name).
    public var template: String
    /// The customer's e-mail address; nil when the run does not know one.
    public var recipient: String?
    public var subject: String
    /// The whole message, headers and body, CRLF line ends, 7-bit.
    public var message: String
    /// The `Message-ID` header's value, kept across retries so that a resent message is recognisable.
    public var messageId: String
    public var status: OutboxStatus
    /// Why the message failed, was suppressed or was last retried.
    public var reason: String?
    /// Delivery attempts made (an attempt starts when the message is claimed for sending).
    public var attempts: Int
    public var nextAttemptAt: Date
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?
}

/// A new offer for `OfferOutbox.enqueue`.
public struct NewOffer: Sendable {
    public var customerId: String
    public var runId: Int64
    public var template: String
    public var recipient: String?
    public var subject: String
    public var message: String
    public var messageId: String

    public init(customerId: String, runId: Int64, template: String, recipient: String?, subject: String,
                message: String, messageId: String) {
        self.customerId = customerId
        self.runId = runId
        self.template = template
        self.recipient = recipient.flatMap { $0.isEmpty ? nil : $0 }
        self.subject = subject
        self.message = message
        self.messageId = messageId
    }
}

/// What `OfferOutbox.enqueue` did with an offer.
public enum EnqueueOutcome: Equatable, Sendable {
    /// Stored with this status (`queued`, `draft`, or `suppressed` with its reason).
    case stored(OutboxMessage)
    /// An offer with the same customer, run and template exists already: nothing new was stored.
    case duplicate(OutboxMessage)
}
