/// The symbol put before money amounts in the summary, the report and the dashboard: "$" unless a
/// policy file's `currency` or `churn score --currency` says otherwise ("€", "£", "CHF ", "R$").
public enum CurrencySymbol {
    /// Used when nothing names one.
    public static let standard = "$"

    /// Why `symbol` cannot be used, or nil when it can: one to five characters, each a letter, a
    /// currency sign, a space or a dot (nothing that HTML or a terminal would interpret).
    public static func problem(_ symbol: String) -> String? {
        let scalars = symbol.unicodeScalars
        guard (1...5).contains(scalars.count) else { return "a currency symbol has 1 to 5 characters, not \(scalars.count)" }
        for s in scalars where !(s.properties.isAlphabetic || s.properties.generalCategory == .currencySymbol || s == " " || s == ".") {
            return "a currency symbol may hold letters, currency signs, spaces and dots, not U+\(String(s.value, radix: 16, uppercase: true))"
        }
        return nil
    }
}
