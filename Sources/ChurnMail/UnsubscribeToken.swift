import Crypto
import Foundation

/// The token in an offer's unsubscribe link: the customer id and address, signed with the outbox's
/// key (HMAC-SHA256), so that only links we sent can opt an address out. Base64url, no padding:
/// `PAYLOAD.MAC`.
public enum UnsubscribeToken {
    public static func make(customerId: String, email: String, key: [UInt8]) -> String {
        let payload = Array((customerId + "\n" + email.lowercased()).utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: SymmetricKey(data: key))
        return base64url(payload) + "." + base64url(Array(mac))
    }

    /// The customer id and address of a token signed with `key`; nil for anything else.
    public static func verify(_ token: String, key: [UInt8]) -> (customerId: String, email: String)? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = decode(parts[0]), let mac = decode(parts[1]),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: SymmetricKey(data: key)),
              let text = String(bytes: payload, encoding: .utf8), let nl = text.firstIndex(of: "\n")
        else { return nil }
        return (String(text[..<nl]), String(text[text.index(after: nl)...]))
    }

    /// The link: `base` (e.g. `https://dashboard.example.com/unsubscribe`) with `?token=…`.
    public static func link(base: String, token: String) -> String {
        base + (base.contains("?") ? "&" : "?") + "token=" + token
    }

    private static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}
