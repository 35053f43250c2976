import ChurnIO

/// A shard the pool has read and not yet seen finished: its bytes (kept until a result arrives, so
/// it can be re-sent) and where it belongs. Which workers hold it is `DispatchPolicy`'s business.
final class ShardRecord {
    /// Pool-wide key, also the shard id on the wire (unique across jobs on every connection).
    let key: Int
    let job: Int
    /// Position in its job's input.
    let index: Int
    let firstLine: UInt64
    let lineCount: UInt64
    /// Where `bytes` start in the job's input file (for SCORE_SHARD_REF).
    let fileOffset: UInt64
    let bytes: [UInt8]
    /// Sends so far; the next send carries this as its attempt number.
    var attempts: UInt32 = 0

    init(_ chunk: CSVChunk, key: Int, job: Int) {
        self.key = key
        self.job = job
        index = chunk.index
        firstLine = chunk.firstLine
        lineCount = chunk.lineCount
        fileOffset = chunk.fileOffset
        bytes = chunk.bytes
    }

    /// Human-readable line range, e.g. "lines 2–10 481".
    var lineRange: String {
        let last = firstLine + max(lineCount, 1) - 1
        return "lines \(firstLine)–\(last)"
    }
}
