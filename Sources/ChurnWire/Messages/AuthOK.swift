extension Message {
    /// AUTH_OK (0x04), worker → client: HMAC-SHA256(secret, "churn-auth-v1 server" ‖ clientNonce ‖ serverNonce),
    /// the worker's proof that it knows the secret too.
    public struct AuthOK: WireMessage {
        public static let messageType = MessageType.authOK

        public var proof: Bytes32

        public init(proof: Bytes32) {
            self.proof = proof
        }

        public func encode(into w: inout WireWriter) {
            w.write(proof)
        }

        public init(from r: inout WireReader) throws {
            proof = try r.readBytes32("proof")
        }
    }
}
