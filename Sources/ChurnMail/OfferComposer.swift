import ChurnCore
import ChurnReport
import ChurnStore
import Foundation

/// Turns a scored customer into an outbox entry: picks the template (the report's theme for the
/// customer, or a named one), fills it in, and renders the multipart message with a signed
/// unsubscribe link.
public struct OfferComposer: Sendable {
    public var from: MailAddress
    public var sender: RetentionOffer.Sender
    public var audience: RetentionOffer.Audience
    /// The unsubscribe page, e.g. `https://dashboard.example.com/unsubscribe`.
    public var unsubscribeBase: String
    public var signingKey: [UInt8]
    /// Where edited templates live (`NAME.txt`); nil for the built-in ones only.
    public var templateDirectory: String?
    /// One template for every customer instead of each customer's theme.
    public var templateName: String?

    public init(from: MailAddress, sender: RetentionOffer.Sender, audience: RetentionOffer.Audience, unsubscribeBase: String,
                signingKey: [UInt8], templateDirectory: String? = nil, templateName: String? = nil) {
        self.from = from
        self.sender = sender
        self.audience = audience
        self.unsubscribeBase = unsubscribeBase
        self.signingKey = signingKey
        self.templateDirectory = templateDirectory
        self.templateName = templateName
    }

    /// The offer for `customer` in run `runId`, ready for `OfferOutbox.enqueue`. A customer without a
    /// plausible address still gets an entry (the outbox suppresses it as "no e-mail address").
    public func compose(customer: RankedCustomer, runId: Int64, now: Date = Date()) throws -> NewOffer {
        let name = templateName ?? RetentionOffer.theme(for: customer).rawValue
        var template = try templateDirectory.flatMap { try OfferTemplate.load(directory: $0, name: name) }
        if template == nil {
            guard templateName == nil || RetentionOffer.Theme(rawValue: name) != nil else {
                throw TemplateError(path: (templateDirectory ?? ".") + "/\(name).txt", line: 0, "no such template")
            }
            template = OfferTemplate.builtIn(name: name)
        }
        return message(customer: customer, runId: runId, template: template!, now: now)
    }

    /// The offer for an edited text (the dashboard's modal): `subject` and `body` may use the
    /// placeholders; the unsubscribe line is added below the body when it has no `{{unsubscribe_url}}`.
    /// The offer's template name is the customer's theme, as with `compose(customer:runId:now:)`.
    public func edited(customer: RankedCustomer, runId: Int64, subject: String, body: String, now: Date = Date()) -> NewOffer {
        let name = templateName ?? RetentionOffer.theme(for: customer).rawValue
        var text = body
        if !text.contains("{{unsubscribe_url}}") { text += "\n\n" + OfferTemplate.unsubscribeLine }
        return message(customer: customer, runId: runId, template: OfferTemplate(name: name, subject: subject, body: text), now: now)
    }

    /// Fills in `template` for `customer` and renders the message.
    public func message(customer: RankedCustomer, runId: Int64, template: OfferTemplate, now: Date = Date()) -> NewOffer {
        let name = template.name
        let email = customer.email.trimmingCharacters(in: .whitespaces)
        let address = MailAddress.isPlausible(email) ? email : nil
        let draft = RetentionOffer.draft(for: customer, sender: sender, audience: audience)
        let link = UnsubscribeToken.link(base: unsubscribeBase,
                                         token: UnsubscribeToken.make(customerId: customer.id, email: address ?? "", key: signingKey))
        let (subject, text) = template.render([
            "customer_id": customer.id, "name": RetentionOffer.greeting(for: email), "email": address ?? "",
            "drivers": RetentionOffer.driverSummary(customer), "offer": customer.intervention, "risk_level": customer.riskLevel,
            "company": sender.company ?? "", "sender": sender.name ?? "", "draft_subject": draft.subject, "draft": draft.body,
            "unsubscribe_url": link,
        ])
        let messageId = MailMessage.newMessageId(domain: from.domain, tag: "r\(runId)")
        let message = MailMessage(
            from: from, to: MailAddress(email: address ?? "undisclosed-recipients:;"), subject: subject, date: now,
            messageId: messageId, text: text, html: Self.html(text, title: subject),
            extraHeaders: [("List-Unsubscribe", "<\(link)>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")])
        return NewOffer(customerId: customer.id, runId: runId, template: name, recipient: address, subject: subject,
                        message: message.rendered(), messageId: messageId)
    }

    /// The HTML version of a plain-text e-mail: paragraphs at blank lines, links clickable.
    static func html(_ text: String, title: String) -> String {
        let paragraphs = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
            .map { p -> String in
                let lines = p.split(separator: "\n", omittingEmptySubsequences: false).map { linkify(escape(String($0))) }
                return "<p>" + lines.joined(separator: "<br>\n") + "</p>"
            }
        return """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>\(escape(title))</title></head>
            <body style="font-family: sans-serif; line-height: 1.5; max-width: 40em">
            \(paragraphs.joined(separator: "\n"))
            </body></html>
            """
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// `http(s)://…` up to the next space as a link (the text is already escaped; `&amp;` stays in it).
    private static func linkify(_ s: String) -> String {
        s.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            guard word.hasPrefix("http://") || word.hasPrefix("https://") else { return String(word) }
            return "<a href=\"\(word)\">\(word)</a>"
        }.joined(separator: " ")
    }
}
