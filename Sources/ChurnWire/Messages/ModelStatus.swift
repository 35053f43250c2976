extension Message {
    /// MODEL_STATUS (0x11), worker → client: the answer to MODEL_CHECK.
    public struct ModelStatus: WireMessage {
        public static let messageType = MessageType.modelStatus

        public var hash: ModelHash
        public var present: Bool

        public init(hash: ModelHash, present: Bool) {
            self.hash = hash
            self.present = present
        }

        public func encode(into w: inout WireWriter) {
            w.write(hash)
            w.write(present)
        }

        public init(from r: inout WireReader) throws {
            hash = try r.readBytes32("model hash")
            present = try r.readBool("present")
        }
    }
}
