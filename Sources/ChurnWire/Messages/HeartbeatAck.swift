extension Message {
    /// HEARTBEAT_ACK (0x31): echoes the HEARTBEAT's `sentAt` so its sender can measure the round trip.
    public struct HeartbeatAck: WireMessage {
        public static let messageType = MessageType.heartbeatAck

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
