import Crypto

/// HMAC-SHA256 from swift-crypto, in the shape the wire handshake takes (`HandshakeMAC`), shared
/// by workers and clients beside `SecretFile`.
public enum HMACSHA256 {
    public static let mac: @Sendable (_ key: [UInt8], _ message: [UInt8]) -> [UInt8] = { key, message in
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
