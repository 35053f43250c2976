import ChurnCore

/// Drafts of retention e-mails for at-risk customers, worded after what drives their risk and the
/// suggested intervention. Used by the HTML report, the dashboard and the e-mail sender.
public enum RetentionOffer {
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
        /// Price or contract concerns: a loyalty discount.
        case pricing
        /// Nothing specific: a success check-in.
        case checkIn

        /// Words in a driver's column name or an intervention's text that point to the theme.
        var keywords: [String] {
            switch self {
            case .executiveSponsor: return ["executive", "sponsor"]
            case .support: return ["ticket", "escalation", "complaint", "support"]
            case .payments: return ["payment", "billing", "invoice", "overdue"]
            case .usage: return ["usage", "login", "active", "session", "engagement", "training", "re-engagement"]
            case .tenure: return ["tenure", "onboard", "months"]
            case .pricing: return ["price", "pricing", "discount", "contract", "charge"]
            case .checkIn: return []
            }
        }

        func matches(_ text: String) -> Bool {
            let lower = text.lowercased()
            return keywords.contains { lower.contains($0) }
        }
    }

    /// The theme of a customer's draft. The suggested intervention leads, so that the e-mail matches
    /// the action shown next to it; when the intervention names no theme (the fallback check-in), the
    /// strongest driver with a known theme decides; else a check-in.
    public static func theme(for customer: RankedCustomer) -> Theme {
        if let t = Theme.allCases.first(where: { $0 != .checkIn && $0.matches(customer.intervention) }) { return t }
        return driverThemes(customer).first ?? .checkIn
    }

    /// The themes of the customer's drivers, strongest driver first, each once.
    static func driverThemes(_ customer: RankedCustomer) -> [Theme] {
        let specific: [Theme] = [.support, .payments, .usage, .tenure, .pricing]
        var out: [Theme] = []
        for driver in customer.drivers {
            // Only the column part of `column=value` names a theme.
            let column = driver.name.split(separator: "=", maxSplits: 1).first.map(String.init) ?? driver.name
            if let t = specific.first(where: { $0.matches(column) }), !out.contains(t) { out.append(t) }
        }
        return out
    }

    /// A subject and plain-text body for a retention e-mail to `customer`.
    /// - Parameters:
    ///   - company: the sender, used in the signature ("The Acme team").
    public static func draft(for customer: RankedCustomer, company: String) -> (subject: String, body: String) {
        let theme = theme(for: customer)
        let name = greetingName(customer.email)
        let reference = customer.id.isEmpty ? "" : " (\(customer.id))"
        let discount = customer.intervention.lowercased().contains("discount")

        var subject: String
        var paragraphs: [String]
        switch theme {
        case .executiveSponsor:
            subject = "An invitation to a call with our executive sponsor for your account"
            paragraphs = [
                "Your account\(reference) is one of the partnerships we value most, and I want to make sure we are delivering everything you expected when you chose \(company).",
                "I would like to set up a 30-minute call between your team and one of our executives, who will act as your sponsor: someone you can reach directly, who reviews your goals with you and makes sure they get the attention they deserve.",
            ]
        case .support:
            subject = "We're sorry: a dedicated support engineer for your team"
            paragraphs = [
                "I'm reaching out personally because I can see your team has had to contact our support more than it should have recently, and I'm sorry for the trouble that has caused.",
                "To put this right, we are assigning a dedicated support engineer to your account\(reference). They will review every open request within one business day and remain your direct contact until everything is resolved.",
            ]
        case .pricing:
            subject = "A loyalty discount on your next renewal"
            paragraphs = [
                "Thank you for being a customer of \(company). I have been reviewing your account\(reference) and want to make sure it keeps giving you the best value.",
                "We would like to offer you a loyalty discount on your next renewal, and I'm happy to walk you through the plan options so you only pay for what your team really uses.",
            ]
        case .payments where discount:
            subject = "A retention discount and a flexible payment plan for you"
            paragraphs = [
                "I noticed that some recent payments on your account\(reference) did not go through, and I want to make sure this never gets in the way of your work.",
                "We would like to offer you a retention discount on your next renewal together with a payment plan that spreads the outstanding amount over the coming months. No action is needed on your side until we have agreed on the details.",
            ]
        case .payments:
            subject = "A 30-day grace period on your account"
            paragraphs = [
                "I noticed that some recent payments on your account\(reference) did not go through. These things happen, and your service will not be interrupted.",
                "We have added a 30-day grace period so you have time to update your billing details, and our billing team is happy to help over a short call if anything is unclear.",
            ]
        case .usage:
            subject = "A free training session to get more out of your account"
            paragraphs = [
                "I noticed your team has been using your account\(reference) less over the past weeks, and I'd love to make sure it is still giving you the value it should.",
                "We would like to offer a free, one-hour training session for your team, tailored to how you work, covering the features most teams like yours rely on and any questions you have.",
            ]
        case .tenure:
            subject = "Welcome aboard: your personal onboarding programme"
            paragraphs = [
                "Thank you for choosing \(company) recently. The first months are when the groundwork for success is laid, and we want to make sure yours goes smoothly.",
                "We have set up a short onboarding programme for your account\(reference): a kick-off call, a setup review, and a check-in a few weeks later with a named specialist.",
            ]
        case .checkIn:
            subject = "Checking in: how is everything going?"
            paragraphs = [
                "I'm your contact at \(company) and wanted to check in on how things are going with your account\(reference).",
                "If anything is not working the way you need it to, or if there is something we could do better, I would really like to hear about it.",
            ]
        }
        if let extra = secondaryNote(customer, primary: theme) { paragraphs.append(extra) }
        paragraphs.append("Would you have 20 minutes this week for a quick call? Just reply to this e-mail with a time that suits you.")
        if theme == .checkIn, customer.riskLevel == RiskLevel.high.name {
            subject = "Can we help? A personal check-in on your account"
        }

        let body = (["Hello \(name),"] + paragraphs + ["Best regards,\nThe \(company) team"]).joined(separator: "\n\n")
        return (subject, body)
    }

    /// One sentence about the second theme, when the customer's drivers show one beyond the first.
    private static func secondaryNote(_ customer: RankedCustomer, primary: Theme) -> String? {
        let found = driverThemes(customer).first { $0 != primary }
        switch found {
        case .support?: return "I have also asked our support team to look at your open requests first."
        case .payments?: return "I also noticed a payment issue on your account; our billing team will help you sort it out, with no interruption to your service."
        case .usage?: return "If it helps, we can also run a short training session for your team on the features you use most."
        case .tenure?: return "As a fairly new customer, you are also welcome to join our onboarding sessions at no cost."
        case .pricing?: return "I'm also happy to review your plan with you, so that you only pay for what your team really uses."
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
