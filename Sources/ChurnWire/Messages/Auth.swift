extension Message {
    /// AUTH (0x03), client → worker: HMAC-SHA256(secret, "churn-auth-v1 client" ‖ serverNonce ‖ clientNonce).
    public struct Auth: WireMessage {
        public static let messageType = MessageType.auth

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
