import ChurnCore

/// Receives each scored row, in input order: the in-process path formats CSV directly, a worker
/// feeds both the formatter and the history chunk builder.
public protocol ScoredRowSink {
    /// - Parameters:
    ///   - lineOffset: the row's line minus the shard's first line.
    ///   - id: the id field's bytes (quotes removed, escapes undone), or the line number as text.
    mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore)

    /// The same with the row's category codes, one per categorical feature of the model
    /// (`PredictionBlock.categoryCode`), valid only during the call. Sinks that do not keep them
    /// need not implement it.
    mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore, categoryCodes: UnsafePointer<UInt16>)
}

extension ScoredRowSink {
    @inline(__always)
    public mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore,
                                categoryCodes: UnsafePointer<UInt16>) {
        append(lineOffset: lineOffset, id: id, score: score)
    }
}
