/// The message-authentication function: HMAC-SHA256(key, message), 32 bytes.
///
/// ChurnWire has no crypto library; callers inject one, e.g. with swift-crypto:
/// `{ key, message in Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))) }`.
public typealias HandshakeMAC = @Sendable (_ key: [UInt8], _ message: [UInt8]) -> [UInt8]

/// The proofs of the challenge–response (proto-docs/README.md, "Security").
public enum HandshakeAuth {
    /// Domain-separation labels: a client proof can never be replayed as a server proof.
    public static let clientLabel = Array("churn-auth-v1 client".utf8)
    public static let serverLabel = Array("churn-auth-v1 server".utf8)

    /// The AUTH proof: HMAC(secret, "churn-auth-v1 client" ‖ serverNonce ‖ clientNonce).
    public static func clientProof(secret: [UInt8], serverNonce: Bytes32, clientNonce: Bytes32, mac: HandshakeMAC) -> [UInt8] {
        mac(secret, clientLabel + serverNonce.bytes + clientNonce.bytes)
    }

    /// The AUTH_OK proof: HMAC(secret, "churn-auth-v1 server" ‖ clientNonce ‖ serverNonce).
    public static func serverProof(secret: [UInt8], clientNonce: Bytes32, serverNonce: Bytes32, mac: HandshakeMAC) -> [UInt8] {
        mac(secret, serverLabel + clientNonce.bytes + serverNonce.bytes)
    }
}
