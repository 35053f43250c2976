import ChurnCore
import ChurnEngine
import ChurnTransport
import ChurnWire
import Foundation
import Histogram

/// A load generator for workers (conventions of wrk2): an open-loop constant request rate whose
/// latency is measured from each request's intended send time (correcting coordinated omission),
/// or, without a rate, closed-loop saturation with every connection's credit window kept full.
/// HdrHistogram percentiles, corrected and uncorrected; errors by class; a warm-up not counted.
public final class LoadTest {
    public struct Options: Sendable {
        public var endpoints: [WorkerEndpoint]
        public var secret: [UInt8]?
        public var connections: Int
        public var duration: Double
        /// Requests per second in all; nil finds saturation.
        public var rate: Double?
        public var warmup: Double
        public var requestTimeout: Double
        public init(endpoints: [WorkerEndpoint], secret: [UInt8]?, connections: Int, duration: Double, rate: Double?,
                    warmup: Double, requestTimeout: Double = 10) {
            self.endpoints = endpoints
            self.secret = secret
            self.connections = connections
            self.duration = duration
            self.rate = rate
            self.warmup = warmup
            self.requestTimeout = requestTimeout
        }
    }

    /// The figures of a run.
    public struct Result: Codable, Sendable {
        public var mode: String
        public var targetRate: Double?
        public var connections: Int
        public var durationSeconds: Double
        public var shardRows: Int
        public var shardBytes: Int
        public var requests: UInt64
        public var shardsPerSecond: Double
        public var rowsPerSecond: Double
        public var megabytesPerSecond: Double
        public var latencyMs: Percentiles
        public var uncorrectedLatencyMs: Percentiles
        public var errors: [String: UInt64]
        public var chaos: ChaosReport?

        public struct Percentiles: Codable, Sendable {
            public var p50: Double, p90: Double, p99: Double, p999: Double, max: Double
        }
    }

    /// What the chaos option did.
    public struct ChaosReport: Codable, Sendable {
        public var kills: Int
        public var restarts: Int
        public var errorsDuringRun: UInt64
    }

    let options: Options
    let shard: (columns: [String], rows: [UInt8], count: Int)
    let model: (hash: ModelHash, bytes: [UInt8])

    public init(options: Options, columns: [String], rows: [UInt8], rowCount: Int, modelHash: [UInt8], modelBytes: [UInt8]) {
        self.options = options
        shard = (columns, rows, rowCount)
        model = (ModelHash(modelHash)!, modelBytes)
    }

    /// Runs the test; `chaos` (called on the loop thread every `chaosInterval` seconds) may kill and
    /// restart workers.
    public func run(chaosInterval: Double? = nil, chaos: (() -> Void)? = nil) throws -> Result {
        let loop = try EventLoop()
        loop.startOnNewThread(name: "churn-loadtest-loop")
        defer {
            loop.stop()
            loop.waitUntilStopped()
        }
        let done = DispatchSemaphore(value: 0)
        let state = RunState(options: options, shard: shard, model: model, loop: loop, onDone: { done.signal() })
        _ = loop.execute { state.start(chaosInterval: chaosInterval, chaos: chaos) }
        done.wait()
        return state.result()
    }
}

/// The load test's state, owned by the loop thread.
private final class RunState {
    let options: LoadTest.Options
    let shard: (columns: [String], rows: [UInt8], count: Int)
    let model: (hash: ModelHash, bytes: [UInt8])
    let loop: EventLoop
    let onDone: () -> Void
    var clients: [WorkerClient?]
    var windows: [Int]
    var next = 0
    var nextShardId: UInt64 = 1
    var start: UInt64 = 0
    var measureFrom: UInt64 = 0
    var end: UInt64 = 0
    var issued: UInt64 = 0
    var completed: UInt64 = 0
    var backlog: [UInt64] = []  // intended send times waiting for credit
    var backlogHead = 0
    var corrected = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    var uncorrected = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    var errors: [String: UInt64] = [:]
    var kills = 0
    var restarts = 0
    var finished = false
    var ticker: LoopTimer?
    var chaosTimer: LoopTimer?

    init(options: LoadTest.Options, shard: (columns: [String], rows: [UInt8], count: Int), model: (hash: ModelHash, bytes: [UInt8]),
         loop: EventLoop, onDone: @escaping () -> Void) {
        self.options = options
        self.shard = shard
        self.model = model
        self.loop = loop
        self.onDone = onDone
        clients = Array(repeating: nil, count: options.connections)
        windows = Array(repeating: 1, count: options.connections)
    }

    static var now: UInt64 { DispatchTime.now().uptimeNanoseconds }

    func start(chaosInterval: Double?, chaos: (() -> Void)?) {
        for i in 0..<options.connections { connect(i) }
        start = Self.now
        measureFrom = start + UInt64(options.warmup * 1e9)
        end = measureFrom + UInt64(options.duration * 1e9)
        let t = LoopTimer(loop: loop) { [weak self] in self?.tick() }
        t.start(after: .milliseconds(1), repeating: .milliseconds(1))
        ticker = t
        if let chaosInterval, let chaos {
            let c = LoopTimer(loop: loop) { [weak self] in
                self?.kills += 1
                chaos()
            }
            c.start(after: .milliseconds(Int64(chaosInterval * 1000)), repeating: .milliseconds(Int64(chaosInterval * 1000)))
            chaosTimer = c
        }
    }

    func connect(_ i: Int) {
        guard !finished else { return }
        let endpoint = options.endpoints[i % options.endpoints.count]
        let client = WorkerClient(endpoint: endpoint, secret: options.secret, loop: loop, name: "churn-loadtest")
        client.start { [weak self] ready in
            guard let self else { return }
            switch ready {
            case .success(let session):
                self.windows[i] = max(1, Int(session.maxShardsInFlight))
                client.ensureModel(hash: self.model.hash, bytes: self.model.bytes) { [weak self] r in
                    guard let self else { return }
                    if case .failure(let e) = r { self.count(e); self.retry(i); return }
                    if self.start > 0 && self.kills > 0 { self.restarts += 1 }
                    self.clients[i] = client
                    if self.options.rate == nil { self.fill(i) }
                }
            case .failure(let e):
                self.count(e)
                self.retry(i)
            }
        }
        client.onClose = { [weak self] _ in
            guard let self else { return }
            self.clients[i] = nil
            self.retry(i)
        }
    }

    func retry(_ i: Int) {
        guard !finished else { return }
        LoopTimer.once(loop: loop, after: .milliseconds(200)) { [weak self] in self?.connect(i) }
    }

    func count(_ e: WorkerClient.ClientError) {
        if !finished && Self.now >= measureFrom { errors[e.errorClass, default: 0] += 1 }
    }

    /// Open loop: issue every request whose intended time has come.
    func tick() {
        let now = Self.now
        if now >= end {
            finish()
            return
        }
        guard let rate = options.rate else { return }
        // Request k is due at start + k/rate: by now, requests 0 … floor(elapsed × rate) are.
        let due = UInt64(Double(now - start) / 1e9 * rate) + 1
        while issued < due {
            backlog.append(start + UInt64(Double(issued) / rate * 1e9))
            issued += 1
        }
        drainBacklog()
    }

    func drainBacklog() {
        while backlogHead < backlog.count, let i = freeConnection() {
            send(on: i, intended: backlog[backlogHead])
            backlogHead += 1
        }
        if backlogHead > 4096 && backlogHead * 2 > backlog.count {
            backlog.removeFirst(backlogHead)
            backlogHead = 0
        }
    }

    func freeConnection() -> Int? {
        for k in 0..<options.connections {
            let i = (next + k) % options.connections
            if let c = clients[i], c.isConnected, c.inFlight < windows[i] {
                next = i + 1
                return i
            }
        }
        return nil
    }

    /// Closed loop (saturation): keep the window full.
    func fill(_ i: Int) {
        guard let c = clients[i], c.isConnected, !finished else { return }
        while c.inFlight < windows[i] { send(on: i, intended: Self.now) }
    }

    func send(on i: Int, intended: UInt64) {
        guard let client = clients[i] else { return }
        let sent = Self.now
        nextShardId &+= 1
        let message = Message.ScoreShard(shardId: nextShardId, attempt: 0, firstLine: 2, modelHash: model.hash,
                                         rankBy: .combined, topK: 10, columns: shard.columns, rows: shard.rows[...])
        client.score(message, rows: shard.rows) { [weak self] reply in
            guard let self else { return }
            let done = Self.now
            switch reply {
            case .success(.shardResult):
                if intended >= self.measureFrom && done <= self.end {
                    self.completed += 1
                    self.corrected.record((done - intended) / 1000)
                    self.uncorrected.record((done - sent) / 1000)
                }
            case .success(let other):
                self.count(.protocolError("unexpected \(other.type.name)"))
            case .failure(let e):
                self.count(e)
            }
            if self.options.rate == nil { self.fill(i) } else { self.drainBacklog() }
        }
    }

    func finish() {
        guard !finished else { return }
        finished = true
        ticker?.close()
        chaosTimer?.close()
        for c in clients { c?.close() }
        onDone()
    }

    func result() -> LoadTest.Result {
        func ms(_ h: Histogram<UInt64>) -> LoadTest.Result.Percentiles {
            .init(p50: Double(h.valueAtPercentile(50)) / 1000, p90: Double(h.valueAtPercentile(90)) / 1000,
                  p99: Double(h.valueAtPercentile(99)) / 1000, p999: Double(h.valueAtPercentile(99.9)) / 1000,
                  max: Double(h.max) / 1000)
        }
        let seconds = options.duration
        let perSecond = Double(completed) / seconds
        let errorTotal = errors.values.reduce(0, +)
        return .init(mode: options.rate == nil ? "saturation (closed loop)" : "constant rate (open loop)", targetRate: options.rate,
                     connections: options.connections, durationSeconds: seconds, shardRows: shard.count, shardBytes: shard.rows.count,
                     requests: completed, shardsPerSecond: perSecond, rowsPerSecond: perSecond * Double(shard.count),
                     megabytesPerSecond: perSecond * Double(shard.rows.count) / 1e6,
                     latencyMs: ms(corrected), uncorrectedLatencyMs: ms(uncorrected), errors: errors,
                     chaos: chaosTimer == nil && kills == 0 ? nil : .init(kills: kills, restarts: restarts, errorsDuringRun: errorTotal))
    }
}
