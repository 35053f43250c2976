import ChurnCore
import ChurnHistoryFormat
import ChurnIO
import Foundation

/// What a scoring run reports as it goes.
public struct ScoreProgress: Sendable {
    public var bytesRead: Int
    public var totalBytes: Int
    public var rowsScored: UInt64
    public var rowsRejected: UInt64
    public var elapsed: Double
    public var workersAlive: Int

    public init(bytesRead: Int, totalBytes: Int, rowsScored: UInt64, rowsRejected: UInt64, elapsed: Double, workersAlive: Int) {
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
        self.rowsScored = rowsScored
        self.rowsRejected = rowsRejected
        self.elapsed = elapsed
        self.workersAlive = workersAlive
    }
}

/// One chunk's scored output, in input order.
public struct ScoredChunk {
    public var index: Int
    public var firstLine: UInt64
    public var csv: ByteBlock
    public var aggregate: ScoreAggregate
    /// The chunk's rows encoded for the history store, when recording is on.
    public var history: PredictionBlockBuilder?

    public init(index: Int, firstLine: UInt64, csv: ByteBlock, aggregate: ScoreAggregate, history: PredictionBlockBuilder?) {
        self.index = index
        self.firstLine = firstLine
        self.csv = csv
        self.aggregate = aggregate
        self.history = history
    }
}

/// Scores a file in this process on all cores: the calling thread reads chunks of whole records,
/// `threads` threads parse, score and format them, and results are written in input order.
public final class LocalScorer {
    public let model: CompiledModel
    public let rankBy: RankBy
    public let topLimit: Int
    public let threads: Int
    /// Encode each chunk's rows for the history store (on the scoring threads).
    public var recording: PredictionRecording?

    public init(model: CompiledModel, rankBy: RankBy, topLimit: Int, threads: Int) {
        self.model = model
        self.rankBy = rankBy
        self.topLimit = topLimit
        self.threads = max(1, threads)
    }

    /// Scores everything `reader` yields; `consume` gets each chunk's results in input order (on a
    /// writer thread) and must write them. Returns the merged aggregate.
    public func run(reader: ChunkReader, consume: @escaping (ScoredChunk) throws -> Void,
                    progress: ((ScoreProgress) -> Void)? = nil) throws -> ScoreAggregate {
        let binding = try ColumnBinding(header: reader.header, model: model.model, file: reader.displayName)
        let work = WorkQueue<CSVChunk>(capacity: threads)
        let names = ResultCSVFormatter.NameTable(model: model)
        // Chunks finish out of order; nil at index N marks the end after N chunks.
        let done = OrderedQueue<ScoredChunk?>()
        let scorers = DispatchGroup()
        for _ in 0..<threads {
            scorers.enter()
            // Each scoring thread owns its ShardScorer; chunks come and go through locked queues.
            HandOffThread.start(name: "churn-scorer", stackSize: 1 << 20) { [model, rankBy, topLimit, recording] in
                defer { scorers.leave() }
                let scorer = ShardScorer(model: model, binding: binding, rankBy: rankBy, topLimit: topLimit)
                while let chunk = work.pop() {
                    done.put(chunk.index, Self.score(chunk, scorer: scorer, names: names, recording: recording))
                }
            }
        }
        let threads = self.threads
        return try OrderedRun(reader: reader, maxInFlight: threads * 2 + 2, topLimit: topLimit, results: done).run(
            submit: { work.push($0) },
            inputEnded: { chunks, _ in
                work.close()
                scorers.wait()
                done.put(chunks, nil)
            },
            writerFailed: { _ in work.close() },
            finish: { $0 },
            consume: consume, progress: progress, workersAlive: { threads })
    }

    private static func score(_ chunk: CSVChunk, scorer: ShardScorer, names: ResultCSVFormatter.NameTable,
                              recording: PredictionRecording?) -> ScoredChunk {
        // Results run about 1.6× the input's size; reserving that avoids regrowing.
        var formatter = ResultCSVFormatter(names: names, capacity: chunk.bytes.count * 7 / 4 + 4096)
        var aggregate = scorer.makeAggregate()
        var history: PredictionBlockBuilder? = nil
        chunk.bytes.withUnsafeBytes { raw in
            if let recording {
                var tee = TeeSink(first: formatter, second: recording.makeChunk(firstLine: chunk.firstLine))
                scorer.score(raw, firstLine: chunk.firstLine, sink: &tee, aggregate: &aggregate)
                formatter = tee.first
                history = tee.second
            } else {
                scorer.score(raw, firstLine: chunk.firstLine, sink: &formatter, aggregate: &aggregate)
            }
        }
        return ScoredChunk(index: chunk.index, firstLine: chunk.firstLine, csv: formatter.finish(), aggregate: aggregate, history: history)
    }
}

/// A scoring run's running total (owned by its writer thread) and its first error (set and read
/// from any thread).
public final class RunOutcome: @unchecked Sendable {  // `firstError` guarded by `lock`; `total` owned by the writer thread, read after `finished`
    public var total: ScoreAggregate
    public let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var firstError: Error?

    public init(topLimit: Int) { total = ScoreAggregate(topLimit: topLimit) }

    public var error: Error? {
        lock.lock()
        defer { lock.unlock() }
        return firstError
    }

    /// Records `error` unless an earlier one is there.
    public func fail(_ error: Error) {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
    }
}

/// Passes each row to two sinks.
public struct TeeSink<A: ScoredRowSink, B: ScoredRowSink>: ScoredRowSink {
    public var first: A
    public var second: B
    public init(first: A, second: B) {
        self.first = first
        self.second = second
    }
    @inline(__always)
    public mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore) {
        first.append(lineOffset: lineOffset, id: id, score: score)
        second.append(lineOffset: lineOffset, id: id, score: score)
    }
    @inline(__always)
    public mutating func append(lineOffset: UInt32, id: UnsafeRawBufferPointer, score: RowScore,
                                categoryCodes: UnsafePointer<UInt16>) {
        first.append(lineOffset: lineOffset, id: id, score: score, categoryCodes: categoryCodes)
        second.append(lineOffset: lineOffset, id: id, score: score, categoryCodes: categoryCodes)
    }
}

/// The history's chunk builder takes rows straight from the scorer.
extension PredictionBlockBuilder: ScoredRowSink {}
