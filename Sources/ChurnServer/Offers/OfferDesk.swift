import ChurnCoordinator
import ChurnCore
import ChurnIO
import ChurnMail
import ChurnReport
import ChurnStore
import Foundation

/// The dashboard's side of the outbox: makes an offer from the modal's edited text, queues or saves
/// it, delivers the queue in the background, and records opt-outs from unsubscribe links.
final class OfferDesk: @unchecked Sendable {  // `opened` guarded by `lock`; deliveries run one at a time on `deliveries`
    private let store: RunStore
    let settings: OfferMailSettings
    private let lock = NSLock()
    private var opened: OfferOutbox?
    private let deliveries = DispatchQueue(label: "churn-offer-delivery")

    /// Who offers are from, as `churn serve --company` and `--from`'s name give it (nil: not set).
    let configuredSender: RetentionOffer.Sender?

    init(store: RunStore, settings: OfferMailSettings?) {
        self.store = store
        configuredSender = settings.map { RetentionOffer.Sender(company: $0.company, name: $0.senderName ?? $0.from.name) }
        self.settings = settings ?? OfferMailSettings(smtp: nil, password: nil, from: MailAddress(name: "churn", email: "offers@localhost.localdomain"),
                                                      company: nil, senderName: nil, unsubscribeURL: "/unsubscribe")
    }

    /// The sender the offer modal's draft names: the server's settings, else the model's `email`
    /// policy, as `churn score`'s report does.
    func draftSender(model email: ModelFile.EmailSettings?) -> RetentionOffer.Sender {
        RetentionOffer.Sender(company: configuredSender?.company ?? email?.company, name: configuredSender?.name ?? email?.sender)
    }

    /// Whether `Send` delivers now (an SMTP server is configured) or only queues.
    var canDeliver: Bool { settings.smtp != nil }

    func outbox() throws -> OfferOutbox {
        lock.lock()
        defer { lock.unlock() }
        if let opened { return opened }
        let o = try OfferOutbox(store: store)
        opened = o
        return o
    }

    /// What happened to an offer made from the modal.
    struct Made {
        var message: OutboxMessage
        /// The same offer (customer, run, template) was already in the outbox.
        var duplicate: Bool
    }

    /// Queues (`send`) or saves as a draft the edited offer for the customer's latest run.
    func make(customerId: String, subject: String, body: String, send: Bool) throws -> Made {
        guard let latest = try store.history(customerId: customerId, limit: 1).first,
              let run = try store.run(id: latest.runId) else { throw OfferDeskError.noSuchCustomer }
        var recipients = RunRecipients(store: store, run: run, fingerprint: { try? RunHistory.quickFingerprint(path: $0).text })
        guard let customer = try recipients.customers([customerId]).first else { throw OfferDeskError.noSuchCustomer }
        let o = try outbox()
        let composer = OfferComposer(from: settings.from, sender: .init(company: settings.company, name: settings.senderName ?? settings.from.name),
                                     audience: .business, unsubscribeBase: settings.unsubscribeURL, signingKey: try o.signingKey())
        let offer = composer.edited(customer: customer, runId: run.id, subject: subject, body: body)
        switch try o.enqueue(offer, asDraft: !send, cooldown: settings.cooldownSeconds) {
        case .stored(let m):
            if m.status == .queued { deliverSoon() }
            return Made(message: m, duplicate: false)
        case .duplicate(let m):
            // Sending a saved draft queues it with the modal's text, the opt-out and cooldown checked again.
            if send, m.status == .draft, let queued = try o.queueDraft(id: m.id, edited: offer, cooldown: settings.cooldownSeconds) {
                if queued.status == .queued { deliverSoon() }
                return Made(message: queued, duplicate: false)
            }
            return Made(message: m, duplicate: true)
        }
    }

    /// Delivers the queue on the delivery queue, when an SMTP server is configured.
    func deliverSoon() {
        guard let url = settings.smtp else { return }
        let settings = settings
        deliveries.async { [self] in
            guard let o = try? outbox() else { return }
            let client = SMTPClient(url: url, password: settings.password, caFile: settings.caFile)
            let delivery = OfferDelivery(outbox: o, envelopeFrom: settings.from.email, policy: RetryPolicy(baseDelay: 30, maxDelay: 3600, maxAttempts: 10),
                                         perMinute: settings.perMinute, lease: 600,
                                         transport: { m in client.send(envelopeFrom: settings.from.email, recipient: m.recipient ?? "", message: m.message) })
            _ = try? delivery.run(patience: 120)
        }
    }

    /// The customer and address of a valid unsubscribe token.
    func verify(token: String) throws -> (customerId: String, email: String)? {
        UnsubscribeToken.verify(token, key: try outbox().signingKey())
    }
}

enum OfferDeskError: Error, CustomStringConvertible {
    case noSuchCustomer
    var description: String { "no scored customer with this id" }
}
