import ChurnCore

extension Message {
    /// SCORE_SHARD (0x20), client → worker: whole CSV records to score with a loaded model.
    ///
    /// `rows` is a slice of the frame's payload after decoding: megabytes are never copied. To send one
    /// without copying the rows into the frame, write `encodeHead(requestId:)` and then the rows.
    public struct ScoreShard: WireMessage {
        public static let messageType = MessageType.scoreShard

        public var shardId: UInt64
        /// 0 for the first try; incremented each time the shard is sent again.
        public var attempt: UInt32
        /// The input file's line number of the first record (the header is line 1).
        public var firstLine: UInt64
        public var modelHash: ModelHash
        public var rankBy: RankBy
        /// How many of the riskiest customers the result's top list keeps.
        public var topK: UInt16
        /// Whether the SHARD_RESULT must carry the shard's history chunk (protocol version 4).
        public var withHistory: Bool
        /// The input header's fields, in file order.
        public var columns: [String]
        /// Raw CSV bytes of whole records, no header line.
        public var rows: ArraySlice<UInt8>

        public init(shardId: UInt64, attempt: UInt32, firstLine: UInt64, modelHash: ModelHash, rankBy: RankBy,
                    topK: UInt16, columns: [String], rows: ArraySlice<UInt8>, withHistory: Bool = false) {
            self.shardId = shardId
            self.attempt = attempt
            self.firstLine = firstLine
            self.modelHash = modelHash
            self.rankBy = rankBy
            self.topK = topK
            self.columns = columns
            self.rows = rows
            self.withHistory = withHistory
        }

        public init(shardId: UInt64, attempt: UInt32, firstLine: UInt64, modelHash: ModelHash, rankBy: RankBy,
                    topK: UInt16, columns: [String], rows: [UInt8], withHistory: Bool = false) {
            self.init(shardId: shardId, attempt: attempt, firstLine: firstLine, modelHash: modelHash, rankBy: rankBy,
                      topK: topK, columns: columns, rows: rows[...], withHistory: withHistory)
        }

        /// The wire value of a ranking: 0 combined, 1 risk, 2 revenue.
        public static func wireValue(_ rankBy: RankBy) -> UInt8 {
            switch rankBy {
            case .combined: return 0
            case .risk: return 1
            case .revenue: return 2
            }
        }

        /// The ranking of a wire value, nil for values this version does not define.
        public static func rankBy(wireValue: UInt8) -> RankBy? {
            switch wireValue {
            case 0: return .combined
            case 1: return .risk
            case 2: return .revenue
            default: return nil
            }
        }

        /// Every field but the rows (shared with SCORE_SHARD_REF, which names the rows instead).
        func encodeFields(into w: inout WireWriter) {
            w.write(shardId)
            w.write(attempt)
            w.write(firstLine)
            w.write(modelHash)
            w.write(Self.wireValue(rankBy))
            w.write(topK)
            w.write(withHistory)
            w.writeList(columns) { $0.write($1) }
        }

        public func encode(into w: inout WireWriter) {
            encodeFields(into: &w)
            w.writeBlob(rows)
        }

        /// Header and payload up to (and including) the rows blob's length: everything but the rows.
        ///
        /// The header's length and CRC cover the rows, so writing these bytes and then `rows` makes a
        /// valid frame without copying the rows.
        public func encodeHead(requestId: UInt64, flags: FrameFlags = []) -> [UInt8] {
            var w = WireWriter(capacity: 256)
            encodeFields(into: &w)
            w.writeCount(rows.count)
            let head = w.bytes
            let crc = rows.withUnsafeBytes { CRC32C.checksum($0, continuing: CRC32C.checksum(head)) }
            var out: [UInt8] = []
            out.reserveCapacity(Frame.headerSize + head.count)
            FrameEncoder.appendHeader(type: Self.messageType.rawValue, requestId: requestId, flags: flags,
                                      payloadLength: head.count + rows.count, checksum: crc, into: &out)
            out += head
            return out
        }

        public init(from r: inout WireReader) throws {
            try self.init(fieldsFrom: &r, rows: [])
            rows = try r.readBlob("rows")
        }

        /// Every field but the rows, which are `rows`.
        init(fieldsFrom r: inout WireReader, rows: ArraySlice<UInt8>) throws {
            shardId = try r.read(UInt64.self, "shard id")
            attempt = try r.read(UInt32.self, "attempt")
            firstLine = try r.read(UInt64.self, "first line")
            modelHash = try r.readBytes32("model hash")
            let rank = try r.readU8("rank by")
            guard let rankBy = Self.rankBy(wireValue: rank) else { throw r.malformed("rank by \(rank) is not 0, 1 or 2") }
            self.rankBy = rankBy
            topK = try r.read(UInt16.self, "top K")
            withHistory = try r.readBool("with history")
            columns = try r.readList("columns", minItemSize: 4) { try $0.readString("column name") }
            self.rows = rows
        }

        public static func == (a: ScoreShard, b: ScoreShard) -> Bool {
            a.shardId == b.shardId && a.attempt == b.attempt && a.firstLine == b.firstLine && a.modelHash == b.modelHash
                && a.rankBy == b.rankBy && a.topK == b.topK && a.withHistory == b.withHistory && a.columns == b.columns && a.rows.elementsEqual(b.rows)
        }
    }
}
