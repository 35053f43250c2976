import Foundation

/// A chunk's rows as they travel from a worker to its coordinator (protocol version 4's SHARD_RESULT
/// history chunk): a few numbers and the bytes of every column of `PredictionBlockBuilder.columns`,
/// in that list's order. The coordinator copies them into a builder of its own and hands that to
/// the store exactly as if it had scored the rows itself.
public struct PredictionChunkParts: Sendable {
    public var rowCount: Int
    public var firstLine: UInt64
    public var lastLine: UInt64
    public var linesConsecutive: Bool
    /// Rows at Low, Medium and High risk.
    public var levelCounts: (low: Int, medium: Int, high: Int)

    public init(rowCount: Int, firstLine: UInt64, lastLine: UInt64, linesConsecutive: Bool,
                levelCounts: (low: Int, medium: Int, high: Int)) {
        self.rowCount = rowCount
        self.firstLine = firstLine
        self.lastLine = lastLine
        self.linesConsecutive = linesConsecutive
        self.levelCounts = levelCounts
    }
}

/// Why a chunk from elsewhere does not fit this run's builders.
public struct PredictionChunkMismatch: Error, CustomStringConvertible {
    public let description: String
}

extension PredictionBlockBuilder {
    /// The numbers that go with the columns on the wire.
    public var parts: PredictionChunkParts {
        PredictionChunkParts(rowCount: rowCount, firstLine: firstLine, lastLine: lastLine, linesConsecutive: linesConsecutive,
                             levelCounts: levelCounts)
    }

    /// How many columns a chunk has (the length of the wire's column list).
    public var columnCount: Int { columns.count }

    /// Calls `body` with each column's bytes, in wire order; the pointers are valid only during the call.
    public func forEachColumn(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        for c in columns { try body(c.sink.bytes) }
    }

    /// Checks that a chunk of `parts` with columns of `sizes` bytes can be a chunk of this builder's
    /// run: as many columns, the fixed-width ones `rowCount` × their width, the level counts adding
    /// up. (Varint columns are checked when a block is read, as for chunks scored in-process.)
    public func check(_ parts: PredictionChunkParts, columnSizes sizes: [Int]) throws {
        func fail(_ text: String) -> PredictionChunkMismatch { PredictionChunkMismatch(description: text) }
        guard sizes.count == columns.count else {
            throw fail("\(sizes.count) history columns where this run has \(columns.count)")
        }
        let n = parts.rowCount
        guard n >= 0, parts.levelCounts.low >= 0, parts.levelCounts.medium >= 0, parts.levelCounts.high >= 0,
              parts.levelCounts.low + parts.levelCounts.medium + parts.levelCounts.high == n else {
            throw fail("level counts \(parts.levelCounts) do not add up to \(n) rows")
        }
        guard n == 0 || parts.lastLine >= parts.firstLine else {
            throw fail("last line \(parts.lastLine) is before first line \(parts.firstLine)")
        }
        guard !parts.linesConsecutive || n == 0 || parts.lastLine - parts.firstLine == UInt64(n - 1) else {
            throw fail("lines \(parts.firstLine)–\(parts.lastLine) are not \(n) consecutive lines")
        }
        for (c, size) in zip(columns, sizes) {
            if let width = c.bytesPerRow, size != width * n {
                throw fail("history column '\(c.name)' has \(size) bytes; \(n) rows need \(width * n)")
            }
        }
    }

    /// Replaces this builder's rows with a chunk's, copying each column (after `check`).
    public func load(_ parts: PredictionChunkParts, columns bytes: [UnsafeRawBufferPointer]) throws {
        try check(parts, columnSizes: bytes.map(\.count))
        reset()
        for (c, b) in zip(columns, bytes) { c.sink.put(b) }
        rowCount = parts.rowCount
        firstLine = parts.firstLine
        lastLine = parts.lastLine
        baseLine = parts.firstLine
        linesConsecutive = parts.linesConsecutive
        levelCounts = parts.levelCounts
        markSynced()
    }
}
