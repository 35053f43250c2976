import Foundation

/// An e-mail with a plain-text and an HTML version of one text (multipart/alternative), rendered as
/// the 7-bit RFC 5322 message that goes to the SMTP server: CRLF line ends, encoded headers,
/// quoted-printable parts.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    public var date: Date
    /// Without angle brackets.
    public var messageId: String
    public var text: String
    public var html: String
    /// Extra headers (`List-Unsubscribe`, …), values already valid header text.
    public var extraHeaders: [(name: String, value: String)]

    public init(from: MailAddress, to: MailAddress, subject: String, date: Date, messageId: String, text: String,
                html: String, extraHeaders: [(name: String, value: String)] = []) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageId = messageId
        self.text = text
        self.html = html
        self.extraHeaders = extraHeaders
    }

    /// A fresh message id at the sender's domain: `<offer.RANDOM@domain>` without the brackets.
    public static func newMessageId(domain: String, tag: String) -> String {
        var rng = SystemRandomNumberGenerator()
        let random = (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
        let safeTag = String(tag.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) && $0.isASCII }.prefix(32))
        return "churn-offer.\(safeTag).\(random)@\(domain)"
    }

    /// The complete message.
    public func rendered() -> String {
        let boundary = "=_churn_" + String(messageId.utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }, radix: 16)
        var lines = [
            "From: " + MailHeaderText.address(from),
            "To: " + MailHeaderText.address(to),
            "Subject: " + MailHeaderText.encode(subject),
            "Date: " + MailHeaderText.date(date),
            "Message-ID: <\(messageId)>",
            "MIME-Version: 1.0",
        ]
        for h in extraHeaders { lines.append("\(h.name): \(h.value)") }
        lines += [
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "This is a multi-part message in MIME format.",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=UTF-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(text),
            "",
            "--\(boundary)",
            "Content-Type: text/html; charset=UTF-8",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            QuotedPrintable.encode(html),
            "",
            "--\(boundary)--",
            "",
        ]
        return lines.joined(separator: "\r\n")
    }
}
