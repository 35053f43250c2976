extension Message {
    /// HEARTBEAT (0x30), either side: proves the peer is alive; answered by HEARTBEAT_ACK.
    public struct Heartbeat: WireMessage {
        public static let messageType = MessageType.heartbeat

        /// The sender's monotonic clock in nanoseconds (only the sender interprets it).
        public var sentAt: UInt64

        public init(sentAt: UInt64) {
            self.sentAt = sentAt
        }

        public func encode(into w: inout WireWriter) {
            w.write(sentAt)
        }

        public init(from r: inout WireReader) throws {
            sentAt = try r.read(UInt64.self, "sent at")
        }
    }
}
