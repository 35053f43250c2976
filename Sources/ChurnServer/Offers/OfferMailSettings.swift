import ChurnMail
import Foundation

/// How `churn serve` sends retention offers: the SMTP server and sender (`--smtp`, `--from`,
/// `--smtp-password-file`), who signs, and where the unsubscribe page is. Without an SMTP server the
/// dashboard still queues offers; `churn offers deliver` sends them.
public struct OfferMailSettings: Sendable {
    public var smtp: SMTPURL?
    public var password: String?
    /// Certificates (PEM) to trust for the SMTP server instead of the system's.
    public var caFile: String?
    public var from: MailAddress
    public var company: String?
    public var senderName: String?
    /// The unsubscribe page's absolute URL, e.g. `https://churn.example.com/unsubscribe`.
    public var unsubscribeURL: String
    public var perMinute: Double
    public var cooldownSeconds: TimeInterval

    public init(smtp: SMTPURL?, password: String?, caFile: String? = nil, from: MailAddress, company: String?, senderName: String?,
                unsubscribeURL: String, perMinute: Double = 60, cooldownSeconds: TimeInterval = 30 * 86_400) {
        self.smtp = smtp
        self.password = password
        self.caFile = caFile
        self.from = from
        self.company = company
        self.senderName = senderName
        self.unsubscribeURL = unsubscribeURL
        self.perMinute = perMinute
        self.cooldownSeconds = cooldownSeconds
    }
}
