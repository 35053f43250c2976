import Foundation

/// Header values as RFC 5322 allows them: ASCII text as it is, anything else as RFC 2047 encoded
/// words (`=?UTF-8?B?…?=`), folded so that no header line passes 78 characters.
public enum MailHeaderText {
    /// Whether the text can go into a header unencoded.
    static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// A header value (an unstructured one like `Subject`, or a display name).
    public static func encode(_ text: String) -> String {
        if isPlainASCII(text) { return text }
        // An encoded word is at most 75 characters: 12 of framing leave 63 of Base64, 45 bytes of
        // text, cut only between characters so that each word decodes on its own.
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in text {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > 45 {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func word(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// `Name <addr>` with the name quoted or encoded as needed; the address alone without a name.
    public static func address(_ address: MailAddress) -> String {
        guard let name = address.name, !name.isEmpty else { return address.email }
        if !isPlainASCII(name) { return encode(name) + " <\(address.email)>" }
        let special = name.contains { "()<>[]:;@\\,.\"".contains($0) }
        let shown = special ? "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" : name
        return shown + " <\(address.email)>"
    }

    /// The date as RFC 5322 wants it: `Mon, 30 Nov 2026 16:40:00 +0000`.
    public static func date(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return f.string(from: date)
    }
}

/// An e-mail address with an optional display name: parsed from `jane@example.com` or
/// `Jane Doe <jane@example.com>`.
public struct MailAddress: Equatable, Sendable, CustomStringConvertible {
    public var name: String?
    public var email: String

    public init(name: String? = nil, email: String) {
        self.name = name
        self.email = email
    }

    /// Nil unless the text holds exactly one plausible address (one `@`, no spaces or angle brackets in it).
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        var name: String?
        var addr = t
        if t.hasSuffix(">"), let open = t.lastIndex(of: "<") {
            addr = String(t[t.index(after: open)..<t.index(before: t.endIndex)])
            let n = t[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            name = n.isEmpty ? nil : n
        }
        guard Self.isPlausible(addr) else { return nil }
        self.name = name
        self.email = addr
    }

    /// One `@` with text on both sides, a dot in the domain, no spaces, brackets or control characters.
    public static func isPlausible(_ email: String) -> Bool {
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".") else {
            return false
        }
        return !email.unicodeScalars.contains { $0.value <= 0x20 || "<>()[],;:\\\"".unicodeScalars.contains($0) || $0.value == 0x7F }
    }

    public var domain: String { String(email[email.index(after: email.firstIndex(of: "@")!)...]) }

    public var description: String { name.map { "\($0) <\(email)>" } ?? email }
}
