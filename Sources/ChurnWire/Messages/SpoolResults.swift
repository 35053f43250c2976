extension Message {
    /// SPOOL_RESULTS (0x22), client → worker, version 5: from now on, put each shard's results CSV in
    /// a file of `directory` and answer with SHARD_RESULT_SPOOLED instead of SHARD_RESULT.
    ///
    /// Only a worker started with that very spool directory (churn: `--local` workers, whose
    /// coordinator made the directory) accepts; any other answers ERROR 16 SPOOL_REFUSED and closes.
    public struct SpoolResults: WireMessage {
        public static let messageType = MessageType.spoolResults

        /// The spool directory the client expects the worker to have been given.
        public var directory: String

        public init(directory: String) {
            self.directory = directory
        }

        public func encode(into w: inout WireWriter) {
            w.write(directory)
        }

        public init(from r: inout WireReader) throws {
            directory = try r.readString("directory")
        }
    }

    /// SPOOL_READY (0x23), worker → client, version 5: the answer to SPOOL_RESULTS; the shards that
    /// follow on this connection are answered with SHARD_RESULT_SPOOLED (or, when a file cannot be
    /// written, with an ordinary SHARD_RESULT).
    public struct SpoolReady: WireMessage {
        public static let messageType = MessageType.spoolReady

        /// The directory, echoed.
        public var directory: String

        public init(directory: String) {
            self.directory = directory
        }

        public func encode(into w: inout WireWriter) {
            w.write(directory)
        }

        public init(from r: inout WireReader) throws {
            directory = try r.readString("directory")
        }
    }
}
