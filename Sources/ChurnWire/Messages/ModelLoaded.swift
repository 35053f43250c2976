extension Message {
    /// MODEL_LOADED (0x13), worker → client: the model of LOAD_MODEL is ready for SCORE_SHARD.
    public struct ModelLoaded: WireMessage {
        public static let messageType = MessageType.modelLoaded

        public var hash: ModelHash

        public init(hash: ModelHash) {
            self.hash = hash
        }

        public func encode(into w: inout WireWriter) {
            w.write(hash)
        }

        public init(from r: inout WireReader) throws {
            hash = try r.readBytes32("model hash")
        }
    }
}
