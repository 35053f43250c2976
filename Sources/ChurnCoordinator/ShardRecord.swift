import ChurnIO

/// A shard the coordinator has read and not yet seen finished: its bytes (kept until a result
/// arrives, so it can be re-sent), where it is in flight, and how often it was lost with a worker.
final class ShardRecord {
    let index: Int
    let firstLine: UInt64
    let lineCount: UInt64
    let bytes: [UInt8]
    /// Sends so far; the next send carries this as its attempt number.
    var attempts: UInt32 = 0
    /// Workers that died or disconnected while this shard was in flight on them.
    var losses = 0
    /// Links it is in flight on now (more than one when speculatively re-sent).
    var holders: [ObjectIdentifier] = []
    var speculated = false

    init(_ chunk: CSVChunk) {
        index = chunk.index
        firstLine = chunk.firstLine
        lineCount = chunk.lineCount
        bytes = chunk.bytes
    }

    /// Human-readable line range, e.g. "lines 2–10 481".
    var lineRange: String {
        let last = firstLine + max(lineCount, 1) - 1
        return "lines \(firstLine)–\(last)"
    }
}
