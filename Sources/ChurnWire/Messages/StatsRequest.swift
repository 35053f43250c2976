extension Message {
    /// STATS_REQUEST (0x50), client → worker: an empty payload; answered by STATS.
    public struct StatsRequest: WireMessage {
        public static let messageType = MessageType.statsRequest

        public init() {}

        public func encode(into w: inout WireWriter) {}

        public init(from r: inout WireReader) throws {}
    }
}
