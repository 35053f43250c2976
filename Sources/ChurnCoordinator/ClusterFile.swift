import Foundation

/// A worker to connect to. `weight` opens that many connections, so a bigger host gets
/// proportionally more shards in flight.
public struct WorkerEndpoint: Equatable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var weight: Int

    public init(host: String, port: Int, weight: Int = 1) {
        self.host = host
        self.port = port
        self.weight = weight
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses "host:port" or "[v6]:port".
    public static func parse(_ text: String) throws -> WorkerEndpoint {
        let t = text.trimmingCharacters(in: .whitespaces)
        var host: Substring
        let portText: Substring
        if t.hasPrefix("["), let close = t.firstIndex(of: "]") {
            host = t[t.index(after: t.startIndex)..<close]
            portText = t[t.index(after: close)...].dropFirst()
        } else if let colon = t.lastIndex(of: ":") {
            host = t[..<colon]
            portText = t[t.index(after: colon)...]
        } else {
            throw ClusterError.configuration("'\(text)' is not HOST:PORT")
        }
        guard let port = Int(portText), (1...65535).contains(port), !host.isEmpty else {
            throw ClusterError.configuration("'\(text)' is not HOST:PORT")
        }
        if host == "localhost" { host = "127.0.0.1" }
        return WorkerEndpoint(host: String(host), port: port)
    }

    /// Parses a comma-separated list.
    public static func parseList(_ text: String) throws -> [WorkerEndpoint] {
        let items = text.split(separator: ",").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard !items.isEmpty else { throw ClusterError.configuration("--workers lists no worker") }
        return try items.map(parse)
    }
}

/// The cluster host-list file (`--cluster FILE`), documented in cluster/README.md:
///
///     # comment
///     secret-file /etc/churn/secret      (optional; relative paths are relative to this file)
///     worker 10.0.0.11:7600 weight=2
///     worker 10.0.0.12:7600
public struct ClusterFile: Sendable {
    public var workers: [WorkerEndpoint]
    public var secretFile: String?

    public static func read(path: String) throws -> ClusterFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ClusterError.configuration("\(path): cannot read the cluster file")
        }
        let directory = (path as NSString).deletingLastPathComponent
        var workers: [WorkerEndpoint] = []
        var secret: String?
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            func bad(_ why: String) -> ClusterError { .configuration("\(path):\(n + 1): \(why)") }
            switch words[0] {
            case "worker":
                guard words.count >= 2 else { throw bad("'worker' needs HOST:PORT") }
                var endpoint: WorkerEndpoint
                do { endpoint = try WorkerEndpoint.parse(words[1]) } catch { throw bad("'\(words[1])' is not HOST:PORT") }
                for option in words.dropFirst(2) {
                    guard option.hasPrefix("weight="), let w = Int(option.dropFirst(7)), (1...64).contains(w) else {
                        throw bad("unknown option '\(option)' (expected weight=1…64)")
                    }
                    endpoint.weight = w
                }
                workers.append(endpoint)
            case "secret-file":
                guard words.count == 2 else { throw bad("'secret-file' needs one path") }
                secret = words[1].hasPrefix("/") ? words[1] : (directory as NSString).appendingPathComponent(words[1])
            default:
                throw bad("unknown directive '\(words[0])' (expected 'worker' or 'secret-file')")
            }
        }
        guard !workers.isEmpty else { throw ClusterError.configuration("\(path): lists no worker") }
        return ClusterFile(workers: workers, secretFile: secret)
    }
}
