import ChurnCore

/// Receives each scored row, in input order: the in-process path formats CSV directly, a worker
/// feeds both the formatter and the history chunk builder.
public protocol ScoredRowSink {
    /// - Parameters:
    ///   - lineOffset: the row's line minus the shard's first line.
    ///   - id: the id field's bytes (quotes removed, escapes undone), or the line number as text.
    mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore)
}
