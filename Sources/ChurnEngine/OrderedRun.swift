import ChurnCore
import ChurnIO
import Foundation

/// The one driver of a scoring run, for in-process scoring and worker pools alike: the calling
/// thread reads chunks of whole records and submits them (at most `maxInFlight` read and not yet
/// written); scorers, wherever they run, put each chunk's outcome into `results` at its index; a
/// writer thread takes them in input order, turns them into `ScoredChunk`s, hands those to
/// `consume` and merges the aggregates. The first error (reading, scoring, consuming) ends the run.
public struct OrderedRun<Outcome> {
    public let reader: ChunkReader
    public let maxInFlight: Int
    public let topLimit: Int
    /// Outcomes by chunk index; nil at index N marks the end after N chunks.
    public let results: OrderedQueue<Outcome?>

    public init(reader: ChunkReader, maxInFlight: Int, topLimit: Int, results: OrderedQueue<Outcome?>) {
        self.reader = reader
        self.maxInFlight = max(1, maxInFlight)
        self.topLimit = topLimit
        self.results = results
    }

    /// Runs to the end.
    /// - Parameters:
    ///   - submit: hands a chunk to the scorers; false stops reading (they are shutting down).
    ///   - inputEnded: after the last submit, with the number of chunks submitted and the read
    ///     error if reading failed; the scorers must then finish and mark the end in `results`.
    ///   - writerFailed: the writer stopped on an error (consume or format): stop the scorers.
    ///   - finish: turns an outcome into results (on the writer thread).
    ///   - consume: takes each chunk's results in input order (on the writer thread).
    ///   - progress: after each chunk (on the writer thread).
    ///   - workersAlive: for progress readings.
    public func run(submit: (CSVChunk) throws -> Bool, inputEnded: (_ chunks: Int, _ error: Error?) -> Void,
                    writerFailed: @escaping (Error) -> Void, finish: @escaping (Outcome) throws -> ScoredChunk,
                    consume: @escaping (ScoredChunk) throws -> Void, progress: ((ScoreProgress) -> Void)?,
                    workersAlive: @escaping () -> Int) throws -> ScoreAggregate {
        let state = RunOutcome(topLimit: topLimit)
        let credits = Credits(maxInFlight)
        let started = Date()
        let (reader, results) = (self.reader, self.results)
        // Bytes read so far: written by this (reading) thread, read by the writer for progress.
        let bytesRead = LockedCount()
        // The writer owns `finish`, `consume`, `progress` and `state.total`; `state`'s error,
        // `credits` and `bytesRead` are locked; `reader` stays with this thread.
        let totalBytes = reader.fileSize
        HandOffThread.start(name: "churn-results-writer") {
            defer { state.finished.signal() }
            do {
                while let outcome = try results.take() {
                    let chunk = try finish(outcome)
                    try consume(chunk)
                    state.total.merge(chunk.aggregate)
                    credits.release()
                    progress?(ScoreProgress(bytesRead: bytesRead.value, totalBytes: totalBytes,
                                            rowsScored: state.total.rowsScored, rowsRejected: state.total.rowsRejected,
                                            elapsed: Date().timeIntervalSince(started), workersAlive: workersAlive()))
                }
            } catch {
                state.fail(error)
                credits.cancel()
                writerFailed(error)
            }
        }

        var submitted = 0
        var readError: Error?
        do {
            while state.error == nil, let chunk = try reader.nextChunk() {
                bytesRead.value = reader.bytesRead
                guard credits.acquire(), state.error == nil, try submit(chunk) else { break }
                submitted += 1
            }
        } catch {
            readError = error
            results.fail(error)
        }
        inputEnded(submitted, readError)
        state.finished.wait()
        if let error = readError ?? state.error { throw error }
        return state.total
    }
}

/// An integer shared between threads.
private final class LockedCount: @unchecked Sendable {  // `stored` guarded by `lock`
    private let lock = NSLock()
    private var stored = 0
    var value: Int {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
