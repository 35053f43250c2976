import ChurnCore

extension Message {
    /// SHARD_RESULT (0x21), worker → client: every row's score and the shard's aggregate.
    ///
    /// `rows` holds `rowCount` rows in the compact layout of `RowResultWriter` (proto-docs/messages.md);
    /// decoding checks the layout, and `forEachRow` / `withRowIterator` read it without allocating.
    public struct ShardResult: WireMessage {
        public static let messageType = MessageType.shardResult

        public var shardId: UInt64
        public var attempt: UInt32
        public var rowCount: UInt32
        /// The rows blob (a slice of the frame's payload after decoding).
        public var rows: ArraySlice<UInt8>
        public var aggregate: ScoreAggregate

        public init(shardId: UInt64, attempt: UInt32, rowCount: UInt32, rows: ArraySlice<UInt8>, aggregate: ScoreAggregate) {
            self.shardId = shardId
            self.attempt = attempt
            self.rowCount = rowCount
            self.rows = rows
            self.aggregate = aggregate
        }

        /// A result carrying the rows a writer collected.
        public init(shardId: UInt64, attempt: UInt32, rows: RowResultWriter, aggregate: ScoreAggregate) {
            precondition(rows.count <= Int(UInt32.max))
            self.init(shardId: shardId, attempt: attempt, rowCount: UInt32(rows.count), rows: rows.bytes[...],
                      aggregate: aggregate)
        }

        public func encode(into w: inout WireWriter) {
            w.write(shardId)
            w.write(attempt)
            w.write(rowCount)
            w.writeBlob(rows)
            aggregate.encode(into: &w)
        }

        /// The frame in three parts for a scatter-gather write that does not copy the rows:
        /// `head + rows + tail` is exactly `encode(requestId:flags:)`.
        public func encodeParts(requestId: UInt64, flags: FrameFlags = []) -> (head: [UInt8], tail: [UInt8]) {
            var fields = WireWriter(capacity: 24)
            fields.write(shardId)
            fields.write(attempt)
            fields.write(rowCount)
            fields.writeCount(rows.count)
            var tail = WireWriter(capacity: 512)
            aggregate.encode(into: &tail)
            var crc = CRC32C.checksum(fields.bytes)
            crc = rows.withUnsafeBytes { CRC32C.checksum($0, continuing: crc) }
            crc = CRC32C.checksum(tail.bytes, continuing: crc)
            var head: [UInt8] = []
            head.reserveCapacity(Frame.headerSize + fields.bytes.count)
            FrameEncoder.appendHeader(type: Self.messageType.rawValue, requestId: requestId, flags: flags,
                                      payloadLength: fields.bytes.count + rows.count + tail.bytes.count, checksum: crc,
                                      into: &head)
            head += fields.bytes
            return (head, tail.bytes)
        }

        public init(from r: inout WireReader) throws {
            shardId = try r.read(UInt64.self, "shard id")
            attempt = try r.read(UInt32.self, "attempt")
            rowCount = try r.read(UInt32.self, "row count")
            rows = try r.readBlob("rows")
            let count = rowCount
            let blob = rows
            do {
                try blob.withUnsafeBytes { try RowResultIterator.validate($0, rowCount: Int(count)) }
            } catch let RowResultIterator.Malformed.reason(detail) {
                throw r.malformed("rows: \(detail)")
            }
            aggregate = try ScoreAggregate(from: &r)
        }

        /// Calls `body` with each row, in order. The `id` pointer is valid only during the call.
        public func forEachRow(_ body: (RowResult) throws -> Void) throws {
            try rows.withUnsafeBytes { b in
                var it = RowResultIterator(b)
                while let row = try it.next() { try body(row) }
            }
        }

        /// Runs `body` with an iterator over the rows; it must not escape.
        public func withRowIterator<R>(_ body: (inout RowResultIterator) throws -> R) rethrows -> R {
            try rows.withUnsafeBytes { b in
                var it = RowResultIterator(b)
                return try body(&it)
            }
        }

        public static func == (a: ShardResult, b: ShardResult) -> Bool {
            a.shardId == b.shardId && a.attempt == b.attempt && a.rowCount == b.rowCount
                && a.rows.elementsEqual(b.rows) && a.aggregate.bitwiseEquals(b.aggregate)
        }
    }
}
