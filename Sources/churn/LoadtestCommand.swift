import ArgumentParser
import ChurnCoordinator
import ChurnCore
import ChurnEngine
import ChurnIO
import Foundation

struct LoadtestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Load-test workers: open-loop constant rate (-R) or saturation, HdrHistogram latency percentiles.",
        discussion: """
            With -R the request rate is held constant and latency is measured from each request's intended \
            send time, so a stalled worker shows up in the percentiles (coordinated omission corrected); the \
            uncorrected figures (from the actual send) are printed beside them. Without -R every connection \
            keeps the worker's credit window full, which finds the saturation throughput. --chaos (with \
            --local) kills a local worker with SIGKILL every few seconds and restarts it.
            """)

    @OptionGroup var selection: WorkerSelection
    @Option(help: "Start this many local workers to test instead of --workers/--cluster.") var local: Int?
    @Option(name: .short, help: "Connections.") var c: Int = 4
    @Option(name: .short, help: "Measured duration after the warm-up (30s, 2m, 500ms; a plain number is seconds).")
    var d = DurationArgument(seconds: 10)
    @Option(name: .customShort("R"), help: "Constant rate in shards per second (default: find saturation).") var rate: Double?
    @Option(help: "Customers per shard.") var shardRows: Int = 1000
    @Option(help: "Warm-up, not counted (2s, 500ms; a plain number is seconds).") var warmup = DurationArgument(seconds: 2)
    @Option(help: "Model file (default: one trained on synthetic data).") var model: String?
    @Flag(help: "Kill and restart local workers during the run (needs --local).") var chaos = false
    @Option(help: "Time between chaos kills (3s; a plain number is seconds).") var chaosInterval = DurationArgument(seconds: 3)
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        try runReportingErrors {
            guard c >= 1, d.seconds > 0, shardRows >= 1 else { throw CLIError("-c, -d and --shard-rows must be positive") }
            if chaos && local == nil { throw CLIError("--chaos needs --local N (it kills and restarts local workers)") }
            var endpoints: [WorkerEndpoint] = []
            var secret: [UInt8]?
            var workers: LocalWorkers?
            var secretPath: String?
            defer {
                workers?.stop()
                if let secretPath { unlink(secretPath) }
            }
            if let local {
                let path = NSTemporaryDirectory() + "churn-loadtest-secret-\(getpid())"
                try SecretFile.create(path: path)
                secretPath = path
                let started = try LocalWorkers(count: local, executable: try WorkerExecutable.path(), secretFile: path,
                                               threadsEach: max(1, ProcessInfo.processInfo.activeProcessorCount / local))
                workers = started
                endpoints = started.endpoints
                secret = try SecretFile.read(path: path)
            } else {
                (endpoints, secret) = try selection.resolve()
            }
            let loaded = try model.map { try ModelFile.load(path: $0) } ?? Self.syntheticModel()
            var rows: [UInt8] = []
            SyntheticCustomers(seed: 99, withLabel: false).appendRows(first: 0, count: shardRows, to: &rows)
            let columns = SyntheticCustomers.header.split(separator: ",").map(String.init)
            let test = LoadTest(options: .init(endpoints: endpoints, secret: secret, connections: c, duration: d.seconds, rate: rate, warmup: warmup.seconds),
                                columns: columns, rows: rows, rowCount: shardRows, modelHash: loaded.sha256, modelBytes: loaded.bytes)
            var chaosAction: (() -> Void)?
            if chaos, let workers {
                var victim = 0
                chaosAction = {
                    let index = victim % workers.endpoints.count
                    victim += 1
                    workers.kill9(index)
                    DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { try? workers.restart(index) }
                }
            }
            let result = try test.run(chaosInterval: chaos ? chaosInterval.seconds : nil, chaos: chaosAction)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(Self.text(result, endpoints: endpoints))
            }
        }
    }

    static func text(_ r: LoadTest.Result, endpoints: [WorkerEndpoint]) -> String {
        var s = "Load test of \(endpoints.map(\.description).joined(separator: ", ")): \(r.mode)"
        if let rate = r.targetRate { s += String(format: ", target %.0f shards/s", rate) }
        s += "\n  \(r.connections) connections, \(String(format: "%.0f", r.durationSeconds)) s measured, shards of \(r.shardRows) rows (\(r.shardBytes) bytes)\n"
        s += String(format: "  throughput  %.1f shards/s   %.0f rows/s   %.1f MB/s   (%llu requests)\n",
                    r.shardsPerSecond, r.rowsPerSecond, r.megabytesPerSecond, r.requests)
        func line(_ name: String, _ p: LoadTest.Result.Percentiles) -> String {
            String(format: "  %@ p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.2f ms\n", name, p.p50, p.p90, p.p99, p.p999, p.max)
        }
        s += line("latency (corrected)  ", r.latencyMs)
        s += line("latency (uncorrected)", r.uncorrectedLatencyMs)
        s += "  errors      " + (r.errors.isEmpty ? "none" : r.errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")) + "\n"
        if let chaos = r.chaos {
            s += "  chaos       \(chaos.kills) workers killed, \(chaos.restarts) reconnections, \(chaos.errorsDuringRun) failed requests\n"
        }
        return s
    }

    /// A model trained on synthetic customers, when no --model is given.
    static func syntheticModel() throws -> ModelFile.Loaded {
        let generator = SyntheticCustomers(seed: 1)
        var bytes = Array(generator.headerLine.utf8)
        generator.appendRows(first: 0, count: 2000, to: &bytes)
        let table = try CSVTableReader.parse(data: Data(bytes), name: "synthetic")
        let model = try Trainer(options: .init(labelColumn: "churn_label")).train(table, fingerprint: .init(file: "synthetic", bytes: bytes.count, fnv1a64: "0"))
        let path = NSTemporaryDirectory() + "churn-loadtest-model-\(getpid()).json"
        defer { unlink(path) }
        try ModelFile.save(model, to: path)
        return try ModelFile.load(path: path)
    }
}
