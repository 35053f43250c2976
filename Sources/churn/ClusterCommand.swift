import ArgumentParser
import ChurnCoordinator
import ChurnIO
import Foundation

struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Inspect a cluster of workers.", subcommands: [ClusterStatusCommand.self])
}

/// Shared by the cluster tools: which workers, and the secret.
struct WorkerSelection: ParsableArguments {
    @Option(help: "A cluster host-list file (see cluster/README.md).") var cluster: String?
    @Option(help: "Comma-separated worker addresses HOST:PORT.") var workers: String?
    @Option(help: "File holding the shared secret (default: the cluster file's secret-file).") var secretFile: String?

    func resolve() throws -> (endpoints: [WorkerEndpoint], secret: [UInt8]?) {
        var endpoints: [WorkerEndpoint] = []
        var secretPath = secretFile
        if let cluster {
            let file = try ClusterFile.read(path: cluster)
            endpoints += file.workers
            if secretPath == nil { secretPath = file.secretFile }
        }
        if let workers { endpoints += try WorkerEndpoint.parseList(workers) }
        guard !endpoints.isEmpty else { throw CLIError("name the workers with --cluster FILE or --workers HOST:PORT,…") }
        return (endpoints, try secretPath.map { try SecretFile.read(path: $0) })
    }
}

struct ClusterStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every worker: reachable or not, protocol version, models held, load, rows scored (from its STATS).")

    @OptionGroup var selection: WorkerSelection
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        try runReportingErrors {
            let (endpoints, secret) = try selection.resolve()
            let statuses = try ClusterStatusProbe.probe(endpoints, secret: secret)
            if json {
                let rows: [[String: Any]] = statuses.map { s in
                    var row: [String: Any] = ["address": "\(s.endpoint)", "reachable": s.reachable]
                    if let p = s.problem { row["problem"] = p }
                    if let v = s.protocolVersion { row["protocolVersion"] = Int(v) }
                    if let n = s.workerName { row["name"] = n }
                    if let st = s.stats {
                        row["uptimeSeconds"] = st.uptimeSeconds
                        row["connections"] = Int(st.connections)
                        row["shardsScored"] = Int(st.shardsScored)
                        row["rowsScored"] = Int(st.rowsScored)
                        row["rowsRejected"] = Int(st.rowsRejected)
                        row["errors"] = Int(st.errors)
                        row["queueDepth"] = Int(st.queueDepth)
                        row["shardsInFlight"] = Int(st.shardsInFlight)
                        row["threads"] = Int(st.workerThreads)
                        row["models"] = st.modelHashes.map(\.hex)
                    }
                    return row
                }
                let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("worker                  status        proto  uptime   threads  load (queued/in flight)  shards    rows scored   errors  models")
                for s in statuses {
                    let address = "\(s.endpoint)".padding(toLength: 23, withPad: " ", startingAt: 0)
                    guard let st = s.stats else {
                        print("\(address) unreachable   \(s.problem ?? "")")
                        continue
                    }
                    let uptime = String(format: "%.0fs", st.uptimeSeconds).padding(toLength: 8, withPad: " ", startingAt: 0)
                    let load = "\(st.queueDepth)/\(st.shardsInFlight)".padding(toLength: 24, withPad: " ", startingAt: 0)
                    print("\(address) up            v\(s.protocolVersion ?? 0)     \(uptime) \(String(st.workerThreads).padding(toLength: 8, withPad: " ", startingAt: 0)) \(load) \(String(st.shardsScored).padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(st.rowsScored).padding(toLength: 13, withPad: " ", startingAt: 0)) \(String(st.errors).padding(toLength: 7, withPad: " ", startingAt: 0)) \(st.modelHashes.map { String($0.hex.prefix(12)) }.joined(separator: ","))")
                }
                let up = statuses.filter(\.reachable).count
                print("\(up) of \(statuses.count) workers reachable")
            }
            if statuses.contains(where: { !$0.reachable }) { throw ExitCode(2) }
        }
    }
}
