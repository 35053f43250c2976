import ChurnCore

extension Message {
    /// SHARD_RESULT (0x21), worker → client: the shard's results CSV, formatted by the worker, its
    /// history chunk when the SCORE_SHARD asked for one, and the shard's aggregate.
    ///
    /// The client copies `csv` into the results file as it is and hands `history` to its store: it
    /// does no work per row (proto-docs/messages.md).
    public struct ShardResult: WireMessage {
        public static let messageType = MessageType.shardResult

        public var shardId: UInt64
        public var attempt: UInt32
        /// Rows scored (lines of `csv`, rows of `history`).
        public var rowCount: UInt32
        /// The results CSV rows of the shard, no header (a slice of the frame's payload after decoding).
        public var csv: ArraySlice<UInt8>
        public var history: HistoryChunk?
        public var aggregate: ScoreAggregate

        public init(shardId: UInt64, attempt: UInt32, rowCount: UInt32, csv: ArraySlice<UInt8>, history: HistoryChunk?,
                    aggregate: ScoreAggregate) {
            self.shardId = shardId
            self.attempt = attempt
            self.rowCount = rowCount
            self.csv = csv
            self.history = history
            self.aggregate = aggregate
        }

        /// The fields after the CSV: history presence and chunk, then the aggregate (shared with
        /// SHARD_RESULT_SPOOLED, whose fields after its file reference are the same).
        func encodeTail(into w: inout WireWriter, historyColumns: HistoryColumnSource? = nil) {
            if let history {
                w.write(UInt8(1))
                if let historyColumns {
                    history.encode(into: &w, columns: historyColumns)
                } else {
                    history.encode(into: &w)
                }
            } else {
                w.write(UInt8(0))
            }
            aggregate.encode(into: &w)
        }

        public func encode(into w: inout WireWriter) {
            w.write(shardId)
            w.write(attempt)
            w.write(rowCount)
            w.writeBlob(csv)
            encodeTail(into: &w)
        }

        /// The frame in three parts for a scatter-gather write that does not copy the CSV:
        /// `head + csv + tail` is exactly `encode(requestId:flags:)`.
        public func encodeParts(requestId: UInt64, flags: FrameFlags = []) -> (head: [UInt8], tail: [UInt8]) {
            csv.withUnsafeBytes { parts(requestId: requestId, flags: flags, csvBytes: $0) }
        }

        /// The frame in three parts, with `csvBytes` (memory that is not an array, such as a formatter's
        /// buffer) in the place of `csv`, which must be empty, and `historyColumns` (when given) in the
        /// place of the history chunk's columns, which must be empty: `head + csvBytes + tail` is the
        /// frame of this message with those bytes in it. Neither is copied into an array first.
        public func encodeParts(requestId: UInt64, flags: FrameFlags = [], csvBytes: UnsafeRawBufferPointer,
                                historyColumns: HistoryColumnSource? = nil) -> (head: [UInt8], tail: [UInt8]) {
            precondition(csv.isEmpty, "csv must be empty when csvBytes stand in for it")
            return parts(requestId: requestId, flags: flags, csvBytes: csvBytes, historyColumns: historyColumns)
        }

        private func parts(requestId: UInt64, flags: FrameFlags, csvBytes: UnsafeRawBufferPointer,
                           historyColumns: HistoryColumnSource? = nil) -> (head: [UInt8], tail: [UInt8]) {
            var fields = WireWriter(capacity: 24)
            fields.write(shardId)
            fields.write(attempt)
            fields.write(rowCount)
            fields.writeCount(csvBytes.count)
            let columnBytes = historyColumns.map { $0.byteCount + 4 * $0.count }
                ?? history?.columns.reduce(0) { $0 + 4 + $1.count } ?? 0
            var tail = WireWriter(capacity: 512 + columnBytes)
            encodeTail(into: &tail, historyColumns: historyColumns)
            var crc = CRC32C.checksum(fields.bytes)
            crc = CRC32C.checksum(csvBytes, continuing: crc)
            crc = CRC32C.checksum(tail.bytes, continuing: crc)
            var head: [UInt8] = []
            head.reserveCapacity(Frame.headerSize + fields.bytes.count)
            FrameEncoder.appendHeader(type: Self.messageType.rawValue, requestId: requestId, flags: flags,
                                      payloadLength: fields.bytes.count + csvBytes.count + tail.bytes.count, checksum: crc,
                                      into: &head)
            head += fields.bytes
            return (head, tail.bytes)
        }

        public init(from r: inout WireReader) throws {
            shardId = try r.read(UInt64.self, "shard id")
            attempt = try r.read(UInt32.self, "attempt")
            rowCount = try r.read(UInt32.self, "row count")
            csv = try r.readBlob("csv")
            // Each row is one line ending in LF (an id with a line break is quoted, so a row may hold more).
            if rowCount == 0 {
                guard csv.isEmpty else { throw r.malformed("csv: \(csv.count) bytes for 0 rows") }
            } else {
                guard csv.count >= 2 * Int(rowCount), csv.last == 0x0A else {
                    throw r.malformed("csv: \(csv.count) bytes cannot be \(rowCount) rows ending in a line feed")
                }
            }
            (history, aggregate) = try Self.decodeTail(from: &r, rowCount: rowCount)
        }

        /// Reads what `encodeTail` writes and checks it against the row count.
        static func decodeTail(from r: inout WireReader, rowCount: UInt32) throws -> (HistoryChunk?, ScoreAggregate) {
            let history: HistoryChunk?
            let presence = try r.readU8("history present")
            switch presence {
            case 0: history = nil
            case 1: history = try HistoryChunk(from: &r, rowCount: rowCount)
            default: throw r.malformed("history present is \(presence), not 0 or 1")
            }
            let aggregate = try ScoreAggregate(from: &r)
            guard aggregate.rowsScored == UInt64(rowCount) else {
                throw r.malformed("row count \(rowCount) but the aggregate scored \(aggregate.rowsScored) rows")
            }
            return (history, aggregate)
        }

        public static func == (a: ShardResult, b: ShardResult) -> Bool {
            a.shardId == b.shardId && a.attempt == b.attempt && a.rowCount == b.rowCount && a.csv.elementsEqual(b.csv)
                && a.history == b.history && a.aggregate.bitwiseEquals(b.aggregate)
        }
    }
}
