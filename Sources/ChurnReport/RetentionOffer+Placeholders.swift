import ChurnCore

extension RetentionOffer {
    /// The customer's drivers in the report's words, for an offer template's `{{drivers}}`:
    /// "Open tickets high: 6 (typical 1); Usage drop %: 40 (typical 5)".
    public static func driverSummary(_ customer: RankedCustomer) -> String {
        customer.drivers.map { DriverWording.label($0) }.joined(separator: "; ")
    }

    /// "Jane" from "jane.doe@example.com", "there" otherwise: how the drafts greet.
    public static func greeting(for email: String) -> String {
        greetingName(email)
    }
}
