/// The history chunk of a SHARD_RESULT (protocol version 4): the shard's scored rows encoded for
/// the coordinator's history store, column by column, so the coordinator only copies them.
///
/// The codec checks the frame-level facts (the level counts add up to the result's row count, the
/// line range is possible); which columns there are and how wide each is belongs to the history
/// format (`PredictionBlockBuilder.check` in ChurnHistoryFormat), checked by the receiver.
public struct HistoryChunk: Equatable, Sendable {
    public var firstLine: UInt64
    public var lastLine: UInt64
    /// True when the rows are on lines `firstLine`, `firstLine + 1`, … with none between.
    public var linesConsecutive: Bool
    public var lowCount: UInt32
    public var mediumCount: UInt32
    public var highCount: UInt32
    /// Each column's bytes, in the history format's column order.
    public var columns: [ArraySlice<UInt8>]

    public init(firstLine: UInt64, lastLine: UInt64, linesConsecutive: Bool, lowCount: UInt32, mediumCount: UInt32,
                highCount: UInt32, columns: [ArraySlice<UInt8>]) {
        self.firstLine = firstLine
        self.lastLine = lastLine
        self.linesConsecutive = linesConsecutive
        self.lowCount = lowCount
        self.mediumCount = mediumCount
        self.highCount = highCount
        self.columns = columns
    }

    /// Rows the chunk holds.
    public var rowCount: Int { Int(lowCount) + Int(mediumCount) + Int(highCount) }

    func encode(into w: inout WireWriter) {
        encodeCounts(into: &w)
        w.writeList(columns) { $0.writeBlob($1) }
    }

    /// The chunk with `columns` (which must be empty) standing in for `self.columns`: each column
    /// is written straight from where its builder keeps it.
    func encode(into w: inout WireWriter, columns source: HistoryColumnSource) {
        precondition(columns.isEmpty, "columns must be empty when a column source stands in for them")
        encodeCounts(into: &w)
        w.writeCount(source.count)
        var written = 0
        source.forEach { column in
            w.writeBlob(column)
            written += 1
        }
        precondition(written == source.count, "the column source gave \(written) columns, not \(source.count)")
    }

    private func encodeCounts(into w: inout WireWriter) {
        w.write(firstLine)
        w.write(lastLine)
        w.write(linesConsecutive)
        w.write(lowCount)
        w.write(mediumCount)
        w.write(highCount)
    }

    /// Reads a chunk that must hold `rowCount` rows.
    init(from r: inout WireReader, rowCount: UInt32) throws {
        firstLine = try r.read(UInt64.self, "history first line")
        lastLine = try r.read(UInt64.self, "history last line")
        linesConsecutive = try r.readBool("history lines consecutive")
        lowCount = try r.read(UInt32.self, "history low count")
        mediumCount = try r.read(UInt32.self, "history medium count")
        highCount = try r.read(UInt32.self, "history high count")
        columns = try r.readList("history columns", minItemSize: 4) { try $0.readBlob("history column") }
        guard rowCount == UInt32(clamping: self.rowCount), Int(rowCount) == self.rowCount else {
            throw r.malformed("history level counts \(lowCount)+\(mediumCount)+\(highCount) are not the row count \(rowCount)")
        }
        guard rowCount == 0 || lastLine >= firstLine else {
            throw r.malformed("history last line \(lastLine) is before its first line \(firstLine)")
        }
        guard !linesConsecutive || rowCount == 0 || lastLine - firstLine == UInt64(rowCount) - 1 else {
            throw r.malformed("history lines \(firstLine)–\(lastLine) cannot be \(rowCount) consecutive lines")
        }
    }
}

/// History columns that live outside a `HistoryChunk` (in the builder that encoded them), so that a
/// SHARD_RESULT can be framed without first copying them into arrays.
public struct HistoryColumnSource {
    /// How many columns `forEach` gives.
    public var count: Int
    /// Calls its argument with each column's bytes, in the history format's column order.
    public var forEach: ((UnsafeRawBufferPointer) -> Void) -> Void
    /// The total bytes of the columns, for reserving the frame's space.
    public var byteCount: Int

    public init(count: Int, byteCount: Int, forEach: @escaping ((UnsafeRawBufferPointer) -> Void) -> Void) {
        self.count = count
        self.byteCount = byteCount
        self.forEach = forEach
    }
}
