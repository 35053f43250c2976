extension Message {
    /// ERROR (0x7F), either side: a request failed, or the connection is about to be closed.
    ///
    /// The frame's request id is that of the failed request, 0 when the error concerns no request.
    public struct ErrorMessage: WireMessage {
        public static let messageType = MessageType.error

        public var code: ErrorCode
        public var message: String

        public init(code: ErrorCode, message: String) {
            self.code = code
            self.message = message
        }

        public func encode(into w: inout WireWriter) {
            w.write(code.rawValue)
            w.write(message)
        }

        public init(from r: inout WireReader) throws {
            code = ErrorCode(try r.read(UInt16.self, "code"))
            message = try r.readString("message")
        }
    }
}

extension Message {
    /// A whole ERROR frame, with END_OF_STREAM set exactly when `code` closes the connection.
    /// - Parameter requestId: the failed request's id, 0 for a connection-level error.
    public static func errorFrame(_ code: ErrorCode, _ text: String, requestId: UInt64) -> [UInt8] {
        Message.error(.init(code: code, message: text)).encode(requestId: requestId,
                                                               flags: code.closesConnection ? .endOfStream : [])
    }
}
