import ArgumentParser
import ChurnMail
import ChurnServer
import Foundation

/// `churn serve`'s options for sending retention offers from the dashboard.
struct ServeOfferOptions: ParsableArguments {
    @Option(help: "SMTP server for offers sent from the dashboard: smtp://[user@]host[:port] or smtps://… (without it, offers are queued for `churn offers deliver`).")
    var smtp: String?
    @Option(help: "Sender of offers, 'Name <addr>' or addr.") var from: String?
    @Option(help: "File holding the SMTP password.") var smtpPasswordFile: String?
    @Option(help: "Certificates (PEM) to trust for the SMTP server instead of the system's.") var smtpCa: String?
    @Option(help: "Company named in offers.") var company: String?
    @Option(help: "Public URL of this server's unsubscribe page (default: http://LISTEN/unsubscribe).") var unsubscribeUrl: String?
    @Option(help: "Offers per minute at most.") var offerRate: Double = 60
    @Option(help: "No second offer to a customer within this many days (30, 30d, 12h).") var cooldown = CooldownArgument(days: 30)

    func settings(host: String, port: Int) throws -> OfferMailSettings? {
        guard smtp != nil || from != nil else { return nil }
        guard let fromText = from, let address = MailAddress(parsing: fromText) else { throw CLIError("--from: give the offers' sender address with --smtp") }
        var url: SMTPURL?
        if let smtp {
            guard let u = SMTPURL(smtp) else { throw CLIError("--smtp \(smtp): expected smtp://[user@]host[:port] or smtps://[user@]host[:port]") }
            url = u
        }
        var password: String?
        if let file = smtpPasswordFile {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw CLIError("\(file): cannot read the SMTP password file")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        let shownHost = host == "0.0.0.0" ? "127.0.0.1" : host
        return OfferMailSettings(smtp: url, password: password, caFile: smtpCa, from: address, company: company, senderName: address.name,
                                 unsubscribeURL: unsubscribeUrl ?? "http://\(shownHost):\(port)/unsubscribe",
                                 perMinute: offerRate, cooldownSeconds: cooldown.seconds)
    }
}
