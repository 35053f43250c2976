import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import ChurnMail
import ChurnReport
import ChurnStore
import Foundation

/// `churn offers`: retention offers by e-mail, through an outbox in the history database.
struct OffersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offers",
        abstract: "Send retention offers over SMTP, through an outbox that never sends one offer twice.",
        subcommands: [OffersSendCommand.self, OffersDeliverCommand.self, OffersListCommand.self])
}

/// Where and how to deliver: shared by `send` and `deliver`.
struct SMTPOptions: ParsableArguments {
    @Option(help: "SMTP server: smtp://[user@]host[:port] (STARTTLS when offered) or smtps://[user@]host[:port].")
    var smtp: String
    @Option(help: "Sender address, 'Name <addr>' or addr.") var from: String
    @Option(help: "File holding the SMTP password (for the URL's user).") var smtpPasswordFile: String?
    @Option(help: "Certificates (PEM) to trust for the SMTP server instead of the system's (a private CA).") var smtpCa: String?
    @Option(help: "At most this many messages per minute (0: no limit).") var rate: Double = 60
    @Option(help: "First retry delay after a connection error or a 4xx reply; doubles per attempt (e.g. 30s, 500ms).")
    var retryDelay: DurationArgument = DurationArgument(seconds: 30)
    @Option(help: "Keep retrying failing messages for this long before leaving them queued (e.g. 2m, 0s).")
    var retryFor: DurationArgument = DurationArgument(seconds: 120)
    @Option(help: "After this many attempts a message that still cannot be delivered fails.") var maxAttempts: Int = 10
    @Option(help: "How long a message being sent is held; a message left 'sending' by a stopped process is sent again after it.")
    var lease: DurationArgument = DurationArgument(seconds: 600)

    func validated() throws -> (url: SMTPURL, from: MailAddress, password: String?) {
        guard let url = SMTPURL(smtp) else { throw CLIError("--smtp \(smtp): expected smtp://[user@]host[:port] or smtps://[user@]host[:port]") }
        guard let address = MailAddress(parsing: from) else { throw CLIError("--from \(from): not an e-mail address") }
        guard rate >= 0, maxAttempts >= 1 else { throw CLIError("--rate must be 0 or more and --max-attempts 1 or more") }
        var password: String?
        if let file = smtpPasswordFile {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw CLIError("\(file): cannot read the SMTP password file")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        return (url, address, password)
    }

    /// Delivers the outbox and prints what happened.
    func deliver(outbox: OfferOutbox) throws -> OfferDelivery.Tally {
        let (url, address, password) = try validated()
        let client = SMTPClient(url: url, password: password, caFile: smtpCa)
        let delivery = OfferDelivery(
            outbox: outbox, envelopeFrom: address.email,
            policy: RetryPolicy(baseDelay: retryDelay.seconds, maxDelay: 3600, maxAttempts: maxAttempts),
            perMinute: rate, lease: lease.seconds, log: { print(TerminalText.escaped($0)) },
            transport: { m in client.send(envelopeFrom: address.email, recipient: m.recipient ?? "", message: m.message) })
        try outbox.makeQueuedDue()
        let tally = try delivery.run(patience: retryFor.seconds)
        print("delivery via \(url): \(tally.sent) sent, \(tally.failed) failed, \(tally.suppressed) suppressed, \(tally.leftQueued) still queued")
        return tally
    }
}

/// Days for `--cooldown`: `30` or `30d`, or any `DurationText` (`12h`).
struct CooldownArgument: ExpressibleByArgument {
    let seconds: Double
    init(days: Double) { seconds = days * 86_400 }
    init?(argument: String) {
        if let days = Double(argument), days >= 0 { seconds = days * 86_400; return }
        guard let s = DurationText.seconds(argument), s >= 0 else { return nil }
        seconds = s
    }
}

func offersDatabasePath(_ db: String?) throws -> String {
    let path = db ?? RunHistory.defaultPath
    guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no history yet (score something first)") }
    return path
}

struct OffersSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Queue one offer per chosen customer of a run, then deliver the queue.",
        discussion: "Exit status: 0 when every chosen offer was sent, suppressed or already made; 3 when some failed or are still queued.")

    @Option(name: .customLong("run"), help: "The run (see `churn runs`).") var runId: Int64
    @Option(help: "The run's N riskiest customers (the run's ranking as far as its stored top list goes, then by probability).") var top: Int?
    @Option(help: "These customers, by id: A,B,C.") var customers: String?
    @OptionGroup var smtpOptions: SMTPOptions
    @Flag(help: "Print the messages; queue and send nothing.") var dryRun = false
    @Option(help: "No second offer to a customer within this many days (30, 30d, 12h).") var cooldown = CooldownArgument(days: 30)
    @Option(help: "Company named in the drafts.") var company: String?
    @Option(help: "Person who signs the drafts.") var senderName: String?
    @Option(help: "Directory of edited templates (THEME.txt or NAME.txt); see README.") var templates: String?
    @Option(help: "Use this template for every customer instead of each customer's theme.") var template: String?
    @Option(help: "The dashboard's unsubscribe page, which records opt-outs.") var unsubscribeUrl = "http://127.0.0.1:8080/unsubscribe"
    @Option(help: "History file (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?

    func run() throws {
        try runReportingErrors {
            guard (top == nil) != (customers == nil) else { throw CLIError("give either --top N or --customers A,B,…") }
            if let top, top < 1 { throw CLIError("--top must be 1 or more") }
            let (_, fromAddress, _) = try smtpOptions.validated()
            let store = try RunStore(path: try offersDatabasePath(db))
            guard let record = try store.run(id: runId), record.status == .succeeded else {
                throw CLIError("run \(runId) is not a succeeded run in \(store.path)")
            }
            var source = RunRecipients(store: store, run: record, fingerprint: { try? RunHistory.quickFingerprint(path: $0).text })
            let chosen = try top.map { try source.top($0) }
                ?? source.customers(customers!.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            let outbox = try OfferOutbox(store: store)
            let model = try? ModelFile.load(path: record.modelPath).model
            let composer = OfferComposer(
                from: fromAddress, sender: .init(company: company, name: senderName ?? fromAddress.name),
                audience: (model?.looksLikeBusinessAccounts ?? true) ? .business : .consumer,
                unsubscribeBase: unsubscribeUrl, signingKey: try outbox.signingKey(), templateDirectory: templates,
                templateName: template)
            var unfinished = false
            for customer in chosen {
                let offer = try composer.compose(customer: customer, runId: runId)
                if dryRun {
                    print("----- \(customer.id): \(offer.recipient ?? "no e-mail address: would not be sent") (template \(offer.template))")
                    print(offer.message.replacingOccurrences(of: "\r\n", with: "\n"))
                    continue
                }
                switch try outbox.enqueue(offer, cooldown: cooldown.seconds) {
                case .stored(let m):
                    print(TerminalText.escaped("#\(m.id) \(m.customerId) <\(m.recipient ?? "no e-mail address")> \(m.template): \(m.status.rawValue)\(m.reason.map { " (\($0))" } ?? "")"))
                case .duplicate(let m):
                    print(TerminalText.escaped("#\(m.id) \(m.customerId) \(m.template): already in the outbox for run \(runId) (\(m.status.rawValue)); not sent again"))
                    if m.status == .failed { unfinished = true }
                }
            }
            if dryRun { return }
            let tally = try smtpOptions.deliver(outbox: outbox)
            if unfinished || tally.failed > 0 || tally.leftQueued > 0 { throw ExitCode(3) }
        }
    }
}

struct OffersDeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver whatever is queued (after an outage), without waiting out the back-off.",
        discussion: "Exit status: 0 when the queue is empty afterwards; 3 when messages failed or are still queued.")

    @OptionGroup var smtpOptions: SMTPOptions
    @Option(help: "History file (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?

    func run() throws {
        try runReportingErrors {
            let outbox = try OfferOutbox(store: try RunStore(path: try offersDatabasePath(db)))
            let tally = try smtpOptions.deliver(outbox: outbox)
            if tally.failed > 0 || tally.leftQueued > 0 { throw ExitCode(3) }
        }
    }
}

struct OffersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the outbox, newest first.")

    @Option(help: "Only this status: draft, queued, sending, sent, failed or suppressed.") var status: String?
    @Flag(help: "One JSON array (the messages without their bodies).") var json = false
    @Option(help: "History file (default: $CHURN_DB or ~/.local/share/churn/history.sqlite).") var db: String?

    private struct Row: Encodable {
        var id: Int64, customer: String, run: Int64, template: String, recipient: String?, subject: String
        var messageId: String, status: String, reason: String?, attempts: Int, createdAt: String, updatedAt: String
        var sentAt: String?
    }

    func run() throws {
        try runReportingErrors {
            var wanted: OutboxStatus?
            if let status {
                guard let s = OutboxStatus(rawValue: status) else {
                    throw CLIError("--status \(status): expected one of \(OutboxStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                wanted = s
            }
            let outbox = try OfferOutbox(store: try RunStore(path: try offersDatabasePath(db)))
            let messages = try outbox.list(status: wanted)
            let iso = ISO8601DateFormatter()
            if json {
                let rows = messages.map {
                    Row(id: $0.id, customer: $0.customerId, run: $0.runId, template: $0.template, recipient: $0.recipient,
                        subject: $0.subject, messageId: $0.messageId, status: $0.status.rawValue, reason: $0.reason,
                        attempts: $0.attempts, createdAt: iso.string(from: $0.createdAt), updatedAt: iso.string(from: $0.updatedAt),
                        sentAt: $0.sentAt.map { iso.string(from: $0) })
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(rows), as: UTF8.self))
                return
            }
            if messages.isEmpty { print("The outbox is empty\(wanted.map { " (status \($0.rawValue))" } ?? "")."); return }
            print("id    run   customer              status      tries  recipient                      template          reason")
            for m in messages {
                let cells = [
                    String(m.id).padding(toLength: 5, withPad: " ", startingAt: 0),
                    String(m.runId).padding(toLength: 5, withPad: " ", startingAt: 0),
                    m.customerId.padding(toLength: max(20, m.customerId.count), withPad: " ", startingAt: 0),
                    m.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0),
                    String(m.attempts).padding(toLength: 6, withPad: " ", startingAt: 0),
                    (m.recipient ?? "(no e-mail address)").padding(toLength: 30, withPad: " ", startingAt: 0),
                    m.template.padding(toLength: 17, withPad: " ", startingAt: 0),
                    m.reason ?? "",
                ]
                print(TerminalText.escaped(cells.joined(separator: " ")))
            }
        }
    }
}
