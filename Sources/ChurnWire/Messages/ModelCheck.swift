extension Message {
    /// MODEL_CHECK (0x10), client → worker: does the worker have this model?
    public struct ModelCheck: WireMessage {
        public static let messageType = MessageType.modelCheck

        /// SHA-256 of the model's JSON file.
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
