import ChurnCore

/// Drafts of retention e-mails for at-risk customers, worded after what drives their risk and the
/// suggested intervention. Used by the HTML report.
public enum RetentionOffer {
    /// Who the customers are, which decides the wording: "your team" and "partnership" only for
    /// business accounts (`ChurnModel.looksLikeBusinessAccounts`), plain "you" for consumers.
    public enum Audience: Sendable {
        case business, consumer
    }

    /// Who signs the drafts: a person and a company, each optional. Without a company, no
    /// sentence names one ("Thank you for being a customer"), and the draft is signed by the
    /// customer-success team.
    public struct Sender: Sendable, Equatable {
        public var company: String?
        public var name: String?
        public init(company: String? = nil, name: String? = nil) {
            self.company = company.flatMap { $0.isEmpty ? nil : $0 }
            self.name = name.flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    /// Every call a draft offers lasts this long, so that no draft offers one length and asks for another.
    public static let callMinutes = 20

    /// The situations a draft can speak to, in the order they are tried.
    public enum Theme: String, CaseIterable, Sendable {
        /// High-value account: a call with an executive sponsor.
        case executiveSponsor
        /// Support tickets or escalations: an apology and a dedicated support engineer.
        case support
        /// Failed payments or billing trouble: a grace period, or a discount with a payment plan.
        case payments
        /// Falling usage or logins: a free training session.
        case usage
        /// A young account: an onboarding programme.
        case tenure
        /// A high price: a loyalty discount.
        case pricing
        /// A short or month-to-month contract: a better rate for a longer one.
        case contract
        /// Nothing specific: a success check-in.
        case checkIn

        /// Words in an intervention's text that point to the theme.
        var keywords: [String] {
            switch self {
            case .executiveSponsor: return ["executive", "sponsor"]
            case .support: return ["support"]
            case .payments: return ["payment", "billing", "invoice", "grace"]
            case .usage: return ["re-engagement", "training", "engagement"]
            case .tenure: return ["onboard"]
            case .pricing: return ["discount", "price", "pricing"]
            case .contract: return ["contract"]
            case .checkIn: return []
            }
        }

        func matches(_ text: String) -> Bool {
            let lower = text.lowercased()
            return keywords.contains { lower.contains($0) }
        }

        init(_ topic: DefaultPolicies.Topic) {
            switch topic {
            case .support: self = .support
            case .payments: self = .payments
            case .usage: self = .usage
            case .tenure: self = .tenure
            case .pricing: self = .pricing
            case .contract: self = .contract
            }
        }
    }

    /// The theme of a customer's draft. The suggested intervention leads, so that the e-mail matches
    /// the action shown next to it; when the intervention names no theme (the fallback check-in), the
    /// strongest driver whose topic fits its direction decides; else a check-in.
    public static func theme(for customer: RankedCustomer) -> Theme {
        let ordered: [Theme] = [.executiveSponsor, .support, .payments, .contract, .pricing, .usage, .tenure]
        if let t = ordered.first(where: { $0.matches(customer.intervention) }) { return t }
        return driverThemes(customer).first ?? .checkIn
    }

    /// The themes of the customer's drivers, strongest driver first, each once. A driver only has a
    /// theme when its direction fits the topic: a low price is no reason to talk about discounts.
    static func driverThemes(_ customer: RankedCustomer) -> [Theme] {
        var out: [Theme] = []
        for driver in customer.drivers {
            guard let direction = driver.direction ?? legacyDirection(driver) else { continue }
            if let topic = DefaultPolicies.topic(column: driver.column, direction: direction), !out.contains(Theme(topic)) {
                out.append(Theme(topic))
            }
        }
        return out
    }

    /// Records made before drivers carried a direction: assume the direction the topic word means.
    private static func legacyDirection(_ d: DriverImpact) -> DriverDirection? {
        if d.name.contains("=") { return .is }
        return DriverDirection.allCases.first { DefaultPolicies.topic(column: d.column, direction: $0) != nil }
    }

    /// A subject and plain-text body for a retention e-mail to `customer`.
    public static func draft(for customer: RankedCustomer, sender: Sender = Sender(), audience: Audience = .business)
        -> (subject: String, body: String)
    {
        let theme = theme(for: customer)
        let business = audience == .business
        let name = greetingName(customer.email)
        let reference = customer.id.isEmpty ? "" : " (\(customer.id))"
        let discount = customer.intervention.lowercased().contains("discount")
        let you = business ? "your team" : "you"
        let ofCompany = sender.company.map { " of \($0)" } ?? ""
        let call = "a \(callMinutes)-minute call"

        var subject: String
        var paragraphs: [String]
        switch theme {
        case .executiveSponsor:
            subject = "An invitation to a call with our executive sponsor for your account"
            paragraphs = [
                business
                    ? "Your account\(reference) is one of the partnerships we value most, and I want to make sure we are delivering everything you expected\(sender.company.map { " when you chose \($0)" } ?? "")."
                    : "You are one of the customers we value most, and I want to make sure we are delivering everything you expected.",
                "I would like to set up \(call) between \(you) and one of our executives, who will act as your sponsor: someone you can reach directly, who reviews your goals with you and makes sure they get the attention they deserve.",
            ]
        case .support:
            subject = business ? "We're sorry: a dedicated support engineer for your team" : "We're sorry: a dedicated support contact for you"
            paragraphs = [
                "I'm reaching out personally because I can see \(you) had to contact our support more than \(business ? "it" : "you") should have recently, and I'm sorry for the trouble that has caused.",
                "To put this right, we are assigning a dedicated support \(business ? "engineer" : "contact") to your account\(reference). They will review every open request within one business day and remain your direct contact until everything is resolved.",
            ]
        case .pricing:
            subject = "A loyalty discount on your plan"
            paragraphs = [
                "Thank you for being a customer\(ofCompany). I have been reviewing your account\(reference) and want to make sure it keeps giving you the best value for what you pay.",
                "We would like to offer you a loyalty discount, and I'm happy to walk you through the plan options so you only pay for what \(you) really \(business ? "uses" : "use").",
            ]
        case .contract:
            subject = "A better rate for a longer plan"
            paragraphs = [
                "Thank you for being a customer\(ofCompany). I have been reviewing your account\(reference) and noticed you are on a short-term plan.",
                "If you move to a 12-month plan, we can offer you a lower monthly rate than you pay today, with the same service and no other change.",
            ]
        case .payments where discount:
            subject = "A retention discount and a flexible payment plan for you"
            paragraphs = [
                "I noticed that some recent payments on your account\(reference) did not go through, and I want to make sure this never gets in your way.",
                "We would like to offer you a retention discount together with a payment plan that spreads the outstanding amount over the coming months. No action is needed on your side until we have agreed on the details.",
            ]
        case .payments:
            subject = "A 30-day grace period on your account"
            paragraphs = [
                "I noticed that some recent payments on your account\(reference) did not go through. These things happen, and your service will not be interrupted.",
                "We have added a 30-day grace period so you have time to update your billing details, and our billing team is happy to help if anything is unclear.",
            ]
        case .usage:
            subject = "A free training session to get more out of your account"
            paragraphs = [
                "I noticed \(you) \(business ? "has" : "have") been using your account\(reference) less over the past weeks, and I'd love to make sure it is still giving you the value it should.",
                business
                    ? "We would like to offer a free, one-hour training session for your team, tailored to how you work, covering the features most teams like yours rely on and any questions you have."
                    : "We would like to offer you a free, one-hour session with one of our specialists, covering the features most customers rely on and any questions you have.",
            ]
        case .tenure:
            subject = "Welcome aboard: your personal onboarding programme"
            paragraphs = [
                "Thank you for choosing \(sender.company ?? "us") recently. The first months are when the groundwork is laid, and we want to make sure yours go smoothly.",
                "We have set up a short onboarding programme for your account\(reference): a kick-off call, a setup review, and a check-in a few weeks later with a named specialist.",
            ]
        case .checkIn:
            subject = "Checking in: how is everything going?"
            paragraphs = [
                "I'm your contact\(sender.company.map { " at \($0)" } ?? "") and wanted to check in on how things are going with your account\(reference).",
                "If anything is not working the way you need it to, or if there is something we could do better, I would really like to hear about it.",
            ]
        }
        if let extra = secondaryNote(customer, primary: theme, you: you) { paragraphs.append(extra) }
        paragraphs.append(theme == .executiveSponsor
            ? "Just reply to this e-mail with a few times that suit you, and I will set up the call."
            : "Would you have \(callMinutes) minutes this week for a quick call? Just reply to this e-mail with a time that suits you.")
        if theme == .checkIn, customer.riskLevel == RiskLevel.high.name {
            subject = "Can we help? A personal check-in on your account"
        }

        var signature = "Best regards,"
        if let person = sender.name { signature += "\n\(person)" }
        signature += sender.company.map { "\nThe \($0) team" } ?? "\nYour customer success team"
        let body = (["Hello \(name),"] + paragraphs + [signature]).joined(separator: "\n\n")
        return (subject, body)
    }

    /// One sentence about the second theme, when the customer's drivers show one beyond the first.
    private static func secondaryNote(_ customer: RankedCustomer, primary: Theme, you: String) -> String? {
        let found = driverThemes(customer).first { $0 != primary }
        switch found {
        case .support?: return "I have also asked our support team to look at your open requests first."
        case .payments?: return "I also noticed a payment issue on your account; our billing team will help you sort it out, with no interruption to your service."
        case .usage?: return "If it helps, we can also run a short training session on the features you use most."
        case .tenure?: return "As a fairly new customer, you are also welcome to join our onboarding sessions at no cost."
        case .pricing?: return "I'm also happy to review your plan with you, so that you only pay for what \(you) really \(you == "you" ? "use" : "uses")."
        case .contract?: return "If a longer plan suits you, I can also offer you a lower monthly rate for it."
        default: return nil
        }
    }

    /// "Jane" from "jane.doe@example.com"; "there" when the address does not look like a person's.
    static func greetingName(_ email: String) -> String {
        let generic: Set<String> = ["info", "admin", "support", "billing", "ops", "team", "contact", "hello", "sales",
                                    "accounts", "account", "finance", "office", "it", "help", "noreply", "no-reply", "mail"]
        guard let at = email.firstIndex(of: "@") else { return "there" }
        let local = email[..<at]
        let first = local.split(whereSeparator: { $0 == "." || $0 == "_" || $0 == "-" || $0 == "+" }).first.map(String.init) ?? ""
        guard first.count >= 2, first.count <= 20, first.allSatisfy({ $0.isLetter }),
              !generic.contains(first.lowercased()), local.contains(where: { $0 == "." || $0 == "_" }) else { return "there" }
        return first.prefix(1).uppercased() + first.dropFirst().lowercased()
    }
}
