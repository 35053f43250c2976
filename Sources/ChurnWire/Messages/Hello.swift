extension Message {
    /// HELLO (0x01), client → worker: the first frame on a connection.
    ///
    /// Its layout is frozen for all protocol versions so that any worker can read it.
    public struct Hello: WireMessage {
        public static let messageType = MessageType.hello

        /// Protocol versions the client speaks (u16 list).
        public var versions: [UInt16]
        /// Free text identifying the client, for logs.
        public var clientName: String
        /// Fresh random bytes: the client's half of the authentication challenge.
        public var clientNonce: Bytes32

        public init(versions: [UInt16], clientName: String, clientNonce: Bytes32) {
            self.versions = versions
            self.clientName = clientName
            self.clientNonce = clientNonce
        }

        public func encode(into w: inout WireWriter) {
            w.writeList(versions) { $0.write($1) }
            w.write(clientName)
            w.write(clientNonce)
        }

        public init(from r: inout WireReader) throws {
            versions = try r.readList("versions", minItemSize: 2) { try $0.read(UInt16.self, "version") }
            clientName = try r.readString("client name")
            clientNonce = try r.readBytes32("client nonce")
        }
    }
}
