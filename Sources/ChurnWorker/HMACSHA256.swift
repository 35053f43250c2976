import ChurnWire
import Crypto

/// HMAC-SHA256 from swift-crypto, in the shape the handshake state machines take.
public enum HMACSHA256 {
    public static let mac: HandshakeMAC = { key, message in
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
