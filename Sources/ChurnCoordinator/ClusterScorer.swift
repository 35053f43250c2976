import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnIO
import ChurnTransport
import ChurnWire
import Foundation
import Logging

/// Scores a file on workers: this thread reads shards of whole records, a libuv loop thread
/// dispatches them to workers over the binary protocol, and a writer thread formats the results
/// in input order through the same formatter as in-process scoring, so the output is identical.
/// Memory stays bounded: at most `maxOutstandingShards` shards are read and not yet written.
public final class ClusterScorer {
    public struct Options: Sendable {
        public var endpoints: [WorkerEndpoint]
        public var secret: [UInt8]?
        public var rankBy: RankBy
        public var topLimit: Int
        public var maxOutstandingShards: Int
        public var heartbeatTimeout: Duration
        public var poisonThreshold: Int
        public var allDownGrace: Duration
        /// Encode the results for the history store (`RunHistory.recording`); nil for no history.
        public var recording: PredictionRecording?

        public init(endpoints: [WorkerEndpoint], secret: [UInt8]?, rankBy: RankBy, topLimit: Int,
                    maxOutstandingShards: Int = 32, heartbeatTimeout: Duration = .seconds(5), poisonThreshold: Int = 3,
                    allDownGrace: Duration = .seconds(10), recording: PredictionRecording? = nil) {
            self.endpoints = endpoints
            self.secret = secret
            self.rankBy = rankBy
            self.topLimit = topLimit
            self.maxOutstandingShards = maxOutstandingShards
            self.heartbeatTimeout = heartbeatTimeout
            self.poisonThreshold = poisonThreshold
            self.allDownGrace = allDownGrace
            self.recording = recording
        }
    }

    /// What the cluster did beyond the rows: for the summary.
    public struct Report: Sendable {
        public var resends: Int
        public var speculativeSends: Int
        public var poisonShards: Int
    }

    public let model: CompiledModel
    public let modelHash: ModelHash
    public let modelBytes: [UInt8]
    public let options: Options
    private let logger: Logger
    public private(set) var report = Report(resends: 0, speculativeSends: 0, poisonShards: 0)

    public init(model: CompiledModel, modelBytes: [UInt8], modelHash: [UInt8], options: Options, logger: Logger) {
        self.model = model
        self.modelBytes = modelBytes
        self.modelHash = ModelHash(modelHash)!
        self.options = options
        self.logger = logger
    }

    public func run(reader: ChunkReader, consume: @escaping (ScoredChunk) throws -> Void,
                    progress: ((ScoreProgress) -> Void)? = nil) throws -> ScoreAggregate {
        // Fail early, like in-process scoring, on an input that cannot be scored at all.
        _ = try ColumnBinding(header: reader.header, model: model.model, file: reader.displayName)
        let loop = try EventLoop()
        loop.startOnNewThread(name: "churn-coordinator-loop")
        defer {
            loop.stop()
            loop.waitUntilStopped()
        }
        let completed = OrderedQueue<CompletedShard?>()
        let credits = Credits(options.maxOutstandingShards)
        let startup = DispatchSemaphore(value: 0)
        let state = RunOutcome(topLimit: options.topLimit)
        let status = ClusterStatus()
        let started = Date()

        // Created and used on the loop thread only; the box lets closures from other threads post to it.
        let box = DispatcherBox()
        _ = loop.execute { [self] in
            box.dispatcher = Dispatcher(
                loop: loop, logger: logger, endpoints: options.endpoints, model: (modelHash, modelBytes), secret: options.secret,
                rankBy: options.rankBy, topK: options.topLimit, columns: reader.header, heartbeatTimeout: options.heartbeatTimeout,
                poisonThreshold: options.poisonThreshold, allDownGrace: options.allDownGrace, completed: completed, status: status,
                onStartup: { error in
                    if let error { state.fail(error) }
                    startup.signal()
                },
                onFatal: { error in
                    state.fail(error)
                    completed.fail(error)
                    credits.cancel()
                })
            box.dispatcher?.start()
        }
        startup.wait()
        if let error = state.error { throw error }
        defer { _ = loop.execute { box.dispatcher?.finish() } }

        // Writer: results in input order → CSV and records, merged aggregate.
        let names = ResultCSVFormatter.NameTable(model: model)
        let recording = options.recording
        let writer = Thread {
            defer { state.finished.signal() }
            do {
                while let shard = try completed.take() {
                    let chunk = try Self.format(shard, names: names, recording: recording, topLimit: self.options.topLimit)
                    try consume(chunk)
                    state.total.merge(chunk.aggregate)
                    credits.release()
                    progress?(ScoreProgress(bytesRead: reader.bytesRead, totalBytes: reader.fileSize,
                                            rowsScored: state.total.rowsScored, rowsRejected: state.total.rowsRejected,
                                            elapsed: Date().timeIntervalSince(started), workersAlive: status.snapshot.workersAlive))
                }
            } catch {
                state.fail(error)
                credits.cancel()
                _ = loop.execute { box.dispatcher?.fatal(.badInput("\(error)")) }
            }
        }
        writer.start()

        var readError: Error?
        do {
            while let chunk = try reader.nextChunk() {
                guard credits.acquire() else { break }
                let shard = ShardRecord(chunk)
                _ = loop.execute { box.dispatcher?.add(shard) }
            }
            _ = loop.execute { box.dispatcher?.readerFinished() }
        } catch {
            readError = error
            completed.fail(error)
        }
        state.finished.wait()
        let counters = status.snapshot
        report = Report(resends: counters.resends, speculativeSends: counters.speculativeSends, poisonShards: counters.poisonShards)
        if let error = readError ?? state.error { throw error }
        return state.total
    }

    /// Turns a worker's binary rows into results CSV (and history records).
    static func format(_ shard: CompletedShard, names: ResultCSVFormatter.NameTable, recording: PredictionRecording?,
                       topLimit: Int) throws -> ScoredChunk {
        let history = recording?.makeChunk(firstLine: shard.firstLine)
        guard let result = shard.result else {
            var aggregate = ScoreAggregate(topLimit: topLimit)
            if let poison = shard.poison { aggregate.reject(poison, rows: max(1, shard.lineCount)) }
            return ScoredChunk(index: shard.index, firstLine: shard.firstLine, csv: ByteWriter(capacity: 64).finish(),
                               aggregate: aggregate, history: history)
        }
        var formatter = ResultCSVFormatter(names: names, capacity: result.rows.count * 2 + 4096)
        try result.forEachRow { row in
            formatter.append(lineOffset: row.lineOffset, id: row.id, score: row.score)
            history?.append(lineOffset: row.lineOffset, id: row.id, score: row.score)
        }
        return ScoredChunk(index: shard.index, firstLine: shard.firstLine, csv: formatter.finish(), aggregate: result.aggregate,
                           history: history)
    }
}

/// Holds the run's dispatcher; set and read on the loop thread only.
final class DispatcherBox: @unchecked Sendable {
    var dispatcher: Dispatcher?
}
