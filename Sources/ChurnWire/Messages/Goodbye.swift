extension Message {
    /// GOODBYE (0x60), either side: the sender is closing the connection.
    ///
    /// A draining worker sends it after finishing what it will finish, listing the shards it hands
    /// back unscored so the coordinator can send them elsewhere at once.
    public struct Goodbye: WireMessage {
        public static let messageType = MessageType.goodbye

        public var reason: String
        /// Shards accepted but not scored, that will get no SHARD_RESULT.
        public var unfinishedShardIds: [UInt64]

        public init(reason: String, unfinishedShardIds: [UInt64] = []) {
            self.reason = reason
            self.unfinishedShardIds = unfinishedShardIds
        }

        public func encode(into w: inout WireWriter) {
            w.write(reason)
            w.writeList(unfinishedShardIds) { $0.write($1) }
        }

        public init(from r: inout WireReader) throws {
            reason = try r.readString("reason")
            unfinishedShardIds = try r.readList("unfinished shard ids", minItemSize: 8) { try $0.read(UInt64.self, "shard id") }
        }
    }
}
