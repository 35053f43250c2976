extension Message {
    /// SCORE_SHARD_REF (0x25), client → worker, version 6: a SCORE_SHARD whose rows are not in the
    /// frame but a byte range of the input file the worker was started with.
    ///
    /// Only a worker started with an input file (churn: the workers `churn score --local` starts for
    /// its one input) accepts it, and only when the file identity matches the file it opened at
    /// start-up and the range lies inside it; anything else is ERROR 17 INPUT_REFUSED and the
    /// connection is closed. The message names no path: a client cannot make a worker read any
    /// other file. The answer is that of a SCORE_SHARD with the range's bytes as its rows.
    public struct ScoreShardReference: WireMessage {
        public static let messageType = MessageType.scoreShardReference

        /// The shard's fields; its `rows` are empty on the wire (the range stands for them).
        public var shard: ScoreShard
        /// The input file's identity as the client saw it when it opened the file (`stat`): the
        /// worker reads only when its own file still has exactly this identity.
        public var device: UInt64
        public var inode: UInt64
        public var size: UInt64
        /// Last modification time in nanoseconds since 1970.
        public var modifiedNanoseconds: Int64
        /// The rows: `length` bytes of the file from byte `offset` (whole records, no header line).
        public var offset: UInt64
        public var length: UInt32

        public init(shard: ScoreShard, device: UInt64, inode: UInt64, size: UInt64, modifiedNanoseconds: Int64,
                    offset: UInt64, length: UInt32) {
            var fields = shard
            fields.rows = []
            self.shard = fields
            self.device = device
            self.inode = inode
            self.size = size
            self.modifiedNanoseconds = modifiedNanoseconds
            self.offset = offset
            self.length = length
        }

        /// Whether the range lies inside a file of `size` bytes (no overflow).
        public var rangeIsInside: Bool {
            offset <= size && UInt64(length) <= size - offset
        }

        public func encode(into w: inout WireWriter) {
            shard.encodeFields(into: &w)
            w.write(device)
            w.write(inode)
            w.write(size)
            w.write(modifiedNanoseconds)
            w.write(offset)
            w.write(length)
        }

        public init(from r: inout WireReader) throws {
            shard = try ScoreShard(fieldsFrom: &r, rows: [])
            device = try r.read(UInt64.self, "device")
            inode = try r.read(UInt64.self, "inode")
            size = try r.read(UInt64.self, "size")
            modifiedNanoseconds = try r.read(Int64.self, "modified")
            offset = try r.read(UInt64.self, "offset")
            length = try r.read(UInt32.self, "length")
        }
    }
}
