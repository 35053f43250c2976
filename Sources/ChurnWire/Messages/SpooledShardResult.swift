extension Message {
    /// SHARD_RESULT_SPOOLED (0x24), worker → client, version 5: a SHARD_RESULT whose results CSV is in
    /// a file of the spool directory instead of the frame. Only sent after SPOOL_READY.
    ///
    /// The client opens `file` in its spool directory, removes it, and copies its `csvLength` bytes to
    /// the results file; history chunk and aggregate travel in the frame as in SHARD_RESULT.
    public struct SpooledShardResult: WireMessage {
        public static let messageType = MessageType.shardResultSpooled

        /// Everything but the CSV, whose `csv` is empty.
        public var result: ShardResult
        /// A plain file name inside the spool directory: no `/`, not `.` or `..`, at most 255 bytes.
        public var file: String
        public var csvLength: UInt64

        public init(result: ShardResult, file: String, csvLength: UInt64) {
            precondition(result.csv.isEmpty, "a spooled result's CSV is in its file")
            self.result = result
            self.file = file
            self.csvLength = csvLength
        }

        /// Whether `name` may name a file of a spool directory (and nothing outside it).
        public static func isPlainFileName(_ name: String) -> Bool {
            let bytes = Array(name.utf8)
            return !bytes.isEmpty && bytes.count <= 255 && !bytes.contains(0x2F) && !bytes.contains(0)
                && name != "." && name != ".."
        }

        private func encodeHead(into w: inout WireWriter) {
            w.write(result.shardId)
            w.write(result.attempt)
            w.write(result.rowCount)
            w.write(file)
            w.write(csvLength)
        }

        public func encode(into w: inout WireWriter) {
            encodeHead(into: &w)
            result.encodeTail(into: &w)
        }

        /// The whole frame, with `historyColumns` (when given) standing in for the history chunk's
        /// columns, which must then be empty.
        public func encode(requestId: UInt64, historyColumns: HistoryColumnSource?) -> [UInt8] {
            guard let historyColumns else { return encode(requestId: requestId) }
            var w = WireWriter(capacity: 1024 + historyColumns.byteCount + 4 * historyColumns.count)
            encodeHead(into: &w)
            result.encodeTail(into: &w, historyColumns: historyColumns)
            var frame: [UInt8] = []
            w.bytes.withUnsafeBytes { FrameEncoder.encode(type: Self.messageType.rawValue, requestId: requestId, payload: $0, into: &frame) }
            return frame
        }

        public init(from r: inout WireReader) throws {
            let shardId = try r.read(UInt64.self, "shard id")
            let attempt = try r.read(UInt32.self, "attempt")
            let rowCount = try r.read(UInt32.self, "row count")
            file = try r.readString("file")
            guard Self.isPlainFileName(file) else { throw r.malformed("file '\(file)' is not a plain file name") }
            csvLength = try r.read(UInt64.self, "csv length")
            if rowCount == 0 {
                guard csvLength == 0 else { throw r.malformed("csv: \(csvLength) bytes for 0 rows") }
            } else {
                guard csvLength >= 2 * UInt64(rowCount) else {
                    throw r.malformed("csv: \(csvLength) bytes cannot be \(rowCount) rows")
                }
            }
            let (history, aggregate) = try ShardResult.decodeTail(from: &r, rowCount: rowCount)
            result = ShardResult(shardId: shardId, attempt: attempt, rowCount: rowCount, csv: [], history: history,
                                 aggregate: aggregate)
        }
    }
}
