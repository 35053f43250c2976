extension Message {
    /// HELLO_OK (0x02), worker → client: the chosen version, the worker's limits and its challenge.
    public struct HelloOK: WireMessage {
        public static let messageType = MessageType.helloOK

        /// The highest version both sides speak.
        public var version: UInt16
        public var workerName: String
        /// The largest payload the worker accepts, in bytes.
        public var maxFrameSize: UInt32
        /// The credit window: SCORE_SHARD requests the client may have outstanding on this connection.
        public var maxShardsInFlight: UInt16
        /// Whether the client must send AUTH before anything else.
        public var authRequired: Bool
        /// Fresh random bytes: the worker's challenge.
        public var serverNonce: Bytes32

        public init(version: UInt16, workerName: String, maxFrameSize: UInt32, maxShardsInFlight: UInt16,
                    authRequired: Bool, serverNonce: Bytes32) {
            self.version = version
            self.workerName = workerName
            self.maxFrameSize = maxFrameSize
            self.maxShardsInFlight = maxShardsInFlight
            self.authRequired = authRequired
            self.serverNonce = serverNonce
        }

        public func encode(into w: inout WireWriter) {
            w.write(version)
            w.write(workerName)
            w.write(maxFrameSize)
            w.write(maxShardsInFlight)
            w.write(authRequired)
            w.write(serverNonce)
        }

        public init(from r: inout WireReader) throws {
            version = try r.read(UInt16.self, "version")
            workerName = try r.readString("worker name")
            maxFrameSize = try r.read(UInt32.self, "max frame size")
            maxShardsInFlight = try r.read(UInt16.self, "max shards in flight")
            authRequired = try r.readBool("auth required")
            serverNonce = try r.readBytes32("server nonce")
        }
    }
}
