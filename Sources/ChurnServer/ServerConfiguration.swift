import ChurnCore
import ChurnIO
import Foundation

/// Everything `churn serve` decides before the server starts.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// History, uploads, results and reports live here.
    public var dataDirectory: String
    /// Larger uploads answer 413.
    public var maxUploadBytes: Int64
    /// The model `/api/v1/predict` scores with (the service scores uploads with the same file).
    public var model: ModelFile.Loaded
    public var modelPath: String
    /// Records per `/api/v1/predict` call.
    public var maxPredictRecords = 10_000
    /// `--currency`: the symbol before money amounts of the runs this server starts (nil: "$").
    public var currencySymbol: String?
    /// Sending retention offers from the dashboard; nil: offers are queued for `churn offers deliver`.
    public var offerMail: OfferMailSettings?
    /// Sign-in: session expiry, login back-off, TLS, proxy (see `SecuritySettings`).
    public var security = SecuritySettings()
    /// `--tls-cert` / `--tls-key`: PEM files; with both, the server speaks HTTPS only.
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?

    public init(host: String, port: Int, dataDirectory: String, maxUploadBytes: Int64, model: ModelFile.Loaded, modelPath: String) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.maxUploadBytes = maxUploadBytes
        self.model = model
        self.modelPath = modelPath
    }

    /// The SQLite history of runs and predictions.
    public var historyPath: String { dataDirectory + "/history.sqlite" }
    /// Uploaded files, one per run.
    public var uploadsDirectory: String { dataDirectory + "/uploads" }
    /// Results CSVs, `<run id>.csv`.
    public var resultsDirectory: String { dataDirectory + "/results" }
    /// HTML reports, `<run id>.html`.
    public var reportsDirectory: String { dataDirectory + "/reports" }
    /// Drafted retention offers.
    public var offersDirectory: String { dataDirectory + "/offers" }

    /// `~/.local/share/churn`.
    public static var defaultDataDirectory: String {
        FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/churn"
    }

    /// Creates the data directory and its sub-directories.
    public func prepareDirectories() throws {
        for dir in [dataDirectory, uploadsDirectory, resultsDirectory, reportsDirectory, offersDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }
}
