import ArgumentParser
import ChurnCoordinator
import ChurnIO
import ChurnServer
import ChurnStore
import Foundation
import Logging

/// `churn serve`: the web dashboard and REST API (ChurnServer) in front of the scoring service.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the web dashboard and the REST API; uploads are scored on this machine or the worker cluster.",
        discussion: """
            Prints "churn serve listening on http://HOST:PORT" when ready. SIGTERM or SIGINT drains: \
            the server stops accepting, running jobs finish (or are cancelled after 30 s), then it exits 0.
            The data directory holds the history (history.sqlite), uploads, results, reports and offers; \
            `churn score --db DIR/history.sqlite` records runs the dashboard shows.
            """)

    @Option(help: "Address to listen on, HOST:PORT (port 0: any free port).") var listen: String = "127.0.0.1:8080"
    @Option(help: "Data directory: history, uploads, results, reports, offers.") var dataDir: String = ServerConfiguration.defaultDataDirectory
    @Option(help: "The model file, or @champion / @N from the registry in DATA-DIR/history.sqlite (default: the registry's champion if it has one, else DATA-DIR/models/model.json).")
    var model: String?
    @Option(help: "Start this many worker processes on this machine and score on them.") var local: Int?
    @Option(help: "A cluster host-list file (see cluster/README.md).") var cluster: String?
    @Option(help: "Comma-separated worker addresses HOST:PORT.") var workers: String?
    @Option(help: "File holding the cluster's shared secret.") var secretFile: String?
    @Option(help: "Largest upload accepted (bytes, or with KB/MB/GB/KiB/MiB/GiB); larger answers 413.") var maxUpload: String = "2GiB"
    @Option(help: "Server log level (trace … critical).") var logLevel: String = "notice"
    @Option(help: "Symbol put before money amounts of the runs started here, e.g. € or CHF (default: $).") var currency: String?
    @OptionGroup(title: "Retention offers") var offers: ServeOfferOptions
    @OptionGroup var security: ServeSecurityOptions

    func run() throws {
        try runReportingErrors {
            if security.listRoutes { return security.printRoutes() }
            let (host, port) = try Self.parseListen(listen)
            guard let maxBytes = Self.parseSize(maxUpload), maxBytes > 0 else {
                throw CLIError("--max-upload: '\(maxUpload)' is not a size (e.g. 500MB, 2GiB)")
            }
            let dataDirectory = (dataDir as NSString).expandingTildeInPath
            let reference = try Self.modelReference(model, dataDirectory: dataDirectory)
            // A registry reference is resolved again for every run, so promote and rollback take
            // effect on the next upload without a restart.
            let loaded = try reference.resolve(registryPath: dataDirectory + "/history.sqlite").loaded
            let modelPath = reference.description
            var configuration = ServerConfiguration(host: host, port: port, dataDirectory: dataDirectory, maxUploadBytes: maxBytes,
                                                    model: loaded, modelPath: modelPath)
            configuration.maxPredictRecords = 10_000
            if let currency, let problem = CurrencySymbol.problem(currency) { throw CLIError("--currency: \(problem)") }
            configuration.currencySymbol = currency
            configuration.offerMail = try offers.settings(host: host, port: port)
            try configuration.prepareDirectories()
            try security.apply(to: &configuration)
            let logger = try makeLogger(label: "churn.serve", level: logLevel)
            let jobs = try ServeScoring.makeJobs(command: self, configuration: configuration, logger: logger)
            let server = try DashboardServer(configuration: configuration, jobs: jobs, logger: logger)
            let scheme = configuration.tlsCertificatePath == nil ? "http" : "https"
            let done = DispatchSemaphore(value: 0)
            let failure = ErrorBox()
            Task {
                do {
                    try await server.run { host, port in
                        // Written at once (not through print's buffer): scripts wait for this line.
                        FileHandle.standardOutput.write(Data("churn serve listening on \(scheme)://\(host):\(port)\n".utf8))
                    }
                } catch {
                    failure.error = error
                }
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw error }
        }
    }

    /// `--model` as given; without it the registry's champion when the data directory's registry has
    /// one, else `DATA-DIR/models/model.json`.
    static func modelReference(_ model: String?, dataDirectory: String) throws -> ModelReference {
        if let model { return try ModelReference(argument: model) }
        let history = dataDirectory + "/history.sqlite"
        if FileManager.default.fileExists(atPath: history), (try? ModelRegistry(path: history).champion()) != nil { return .champion }
        let path = dataDirectory + "/models/model.json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("\(path): No such model file (pass --model FILE, register a champion with churn train --register --db \(history), or put one there)")
        }
        return .file(path)
    }

    /// `HOST:PORT`, `[v6]:PORT` or `:PORT` (all interfaces).
    static func parseListen(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw CLIError("--listen: '\(text)' is not HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// `2GiB`, `500MB`, `1048576`.
    static func parseSize(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1)]
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0 else { return nil }
            return Int64(v * Double(factor))
        }
        return Int64(t)
    }
}

/// Carries the server task's error back to the command's thread.
private final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
