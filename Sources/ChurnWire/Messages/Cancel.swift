extension Message {
    /// CANCEL (0x40), client → worker: stop scoring a shard. CANCEL itself has no response; the shard's
    /// SCORE_SHARD is still answered exactly once, by SHARD_RESULT if it finished or ERROR 15 CANCELLED.
    public struct Cancel: WireMessage {
        public static let messageType = MessageType.cancel

        public var shardId: UInt64

        public init(shardId: UInt64) {
            self.shardId = shardId
        }

        public func encode(into w: inout WireWriter) {
            w.write(shardId)
        }

        public init(from r: inout WireReader) throws {
            shardId = try r.read(UInt64.self, "shard id")
        }
    }
}
