import ChurnMail
import Foundation

/// How `churn serve` sends retention offers: the SMTP server and sender (`--smtp`, `--from`,
/// `--smtp-password-file`), who signs, and where the unsubscribe page is. Without an SMTP server the
/// dashboard still queues offers; `churn offers deliver` sends them.
public struct OfferMailSettings: Sendable {
    public var smtp: SMTPURL?
    public var password: String?
    public var from: MailAddress
    public var company: String?
    public var senderName: String?
    /// The unsubscribe page's absolute URL, e.g. `https://churn.example.com/unsubscribe`.
    public var unsubscribeURL: String
    public var perMinute: Double
    public var cooldownSeconds: TimeInterval

    public init(smtp: SMTPURL?, password: String?, from: MailAddress, company: String?, senderName: String?,
                unsubscribeURL: String, perMinute: Double = 60, cooldownSeconds: TimeInterval = 30 * 86_400) {
        self.smtp = smtp
        self.password = password
        self.from = from
        self.company = company
        self.senderName = senderName
        self.unsubscribeURL = unsubscribeURL
        self.perMinute = perMinute
        self.cooldownSeconds = cooldownSeconds
    }
}
