import CSQLite
import ChurnCore
import Foundation

/// The model registry: every registered model file, numbered 1, 2, 3 … in the order registered, and
/// which one is the champion (the model `@champion` names).
///
/// It lives in the history database, in tables of its own created when the registry is first opened
/// (`CREATE TABLE IF NOT EXISTS`; the shared schema version is not touched). A version keeps the
/// model file's exact bytes, so the hash a worker is sent (SHA-256 of the bytes) is the hash listed.
///
/// Champions form a stack recorded in `model_champion_log`: the first registered model becomes
/// champion, `promote` pushes a version, `rollback` pops back to the previous champion. The log
/// keeps every change with its time.
public final class ModelRegistry: @unchecked Sendable {
    public let store: RunStore

    /// One registered model.
    public struct Version: Codable, Equatable, Sendable {
        public var version: Int
        /// SHA-256 of the model file's bytes, hex.
        public var hash: String
        public var registeredAt: Date
        /// When the model was trained (the model file's `createdAt`).
        public var trainedAt: String
        /// The training data's file name.
        public var trainingFile: String
        public var trainingRows: Int
        /// `train` (`churn train --register`) or `retrain` (a challenger).
        public var source: String
        /// What `metrics` were measured on: `training` (the training rows) or `holdout` (rows held out
        /// of the challenger's training, the same rows its champion was measured on).
        public var metricsKind: String
        public var metrics: EvaluationMetrics
        public var champion: Bool
        /// ROC curve and calibration on the same rows as `metrics` (nil when not recorded).
        public var curves: ModelCurves?
    }

    /// What `register` did.
    public struct Registration: Sendable {
        public var version: Int
        /// Whether this model became champion (the registry had none).
        public var champion: Bool
        /// Whether the same bytes were registered before (`version` is then the earlier one).
        public var alreadyRegistered: Bool
    }

    /// A registry operation that makes no sense (unknown version, nothing to roll back to).
    public struct RegistryError: Error, CustomStringConvertible, Sendable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Opens (creating if needed) the registry in the history database at `path`.
    public convenience init(path: String) throws {
        try self.init(store: RunStore(path: path))
    }

    public init(store: RunStore) throws {
        self.store = store
        try store.locked {
            try store.db.execute("""
                CREATE TABLE IF NOT EXISTS model_versions (
                    version INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash TEXT NOT NULL UNIQUE,
                    registered_at REAL NOT NULL,
                    trained_at TEXT NOT NULL,
                    training_file TEXT NOT NULL,
                    training_rows INTEGER NOT NULL,
                    source TEXT NOT NULL,
                    metrics_kind TEXT NOT NULL,
                    auc REAL,
                    log_loss REAL,
                    metrics_json TEXT NOT NULL,
                    curves_json TEXT,
                    model BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS model_champion_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    version INTEGER NOT NULL REFERENCES model_versions(version),
                    action TEXT NOT NULL CHECK (action IN ('first', 'promote', 'rollback')),
                    at REAL NOT NULL);
                """, "create model registry tables")
        }
    }

    /// Registers a model file's bytes. The first model registered becomes champion.
    /// - Parameters:
    ///   - bytes: the model file exactly as scoring will load it; `hash` is their SHA-256 in hex.
    ///   - metrics: validation metrics (`metricsKind` says on what).
    public func register(bytes: [UInt8], hash: String, model: ChurnModel, metrics: EvaluationMetrics, metricsKind: String,
                         source: String, curves: ModelCurves? = nil, at date: Date = Date()) throws -> Registration {
        try store.locked {
            let db = store.db
            try db.execute("BEGIN IMMEDIATE", "register model")
            do {
                let find = try db.prepare("SELECT version FROM model_versions WHERE hash = ?1", "find model by hash")
                find.bind(1, hash)
                if try find.step() {
                    let existing = Int(find.int64(0))
                    try db.execute("COMMIT", "register model")
                    return Registration(version: existing, champion: try championStack().last == existing, alreadyRegistered: true)
                }
                let insert = try db.prepare("""
                    INSERT INTO model_versions (hash, registered_at, trained_at, training_file, training_rows, source,
                        metrics_kind, auc, log_loss, metrics_json, model, curves_json)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                    """, "register model")
                insert.bind(1, hash)
                insert.bind(2, date.timeIntervalSince1970)
                insert.bind(3, model.createdAt)
                insert.bind(4, model.training.data.file)
                insert.bind(5, model.training.rows)
                insert.bind(6, source)
                insert.bind(7, metricsKind)
                insert.bind(8, metrics.auc.isFinite ? metrics.auc : nil)
                insert.bind(9, metrics.logLoss.isFinite ? metrics.logLoss : nil)
                insert.bind(10, try Self.encode(metrics))
                insert.bind(12, try curves.map { try Self.encode($0) })
                try bytes.withUnsafeBytes { raw in
                    insert.bindStatic(11, raw)
                    try insert.run()
                }
                let version = Int(db.lastInsertRowID)
                let first = try championStack().isEmpty
                if first { try logChampion(version, action: "first", at: date) }
                try db.execute("COMMIT", "register model")
                return Registration(version: version, champion: first, alreadyRegistered: false)
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Every version, oldest first.
    public func versions() throws -> [Version] {
        try store.locked {
            let champion = try championStack().last
            let s = try store.db.prepare("""
                SELECT version, hash, registered_at, trained_at, training_file, training_rows, source, metrics_kind, metrics_json,
                    curves_json
                FROM model_versions ORDER BY version
                """, "list models")
            var out: [Version] = []
            while try s.step() {
                let v = Int(s.int64(0))
                out.append(Version(version: v, hash: s.text(1), registeredAt: Date(timeIntervalSince1970: s.double(2)),
                                   trainedAt: s.text(3), trainingFile: s.text(4), trainingRows: Int(s.int64(5)), source: s.text(6),
                                   metricsKind: s.text(7), metrics: try Self.decode(EvaluationMetrics.self, s.text(8)), champion: v == champion,
                                   curves: try s.optionalText(9).map { try Self.decode(ModelCurves.self, $0) }))
            }
            return out
        }
    }

    /// One version, or nil when there is no such version.
    public func version(_ n: Int) throws -> Version? {
        try versions().first { $0.version == n }
    }

    /// A version's model file bytes.
    public func modelBytes(_ n: Int) throws -> [UInt8]? {
        try store.locked {
            let s = try store.db.prepare("SELECT model FROM model_versions WHERE version = ?1", "read model")
            s.bind(1, n)
            return try s.step() ? [UInt8](s.blob(0)) : nil
        }
    }

    /// The champion's version, or nil while nothing is registered.
    public func champion() throws -> Int? {
        try store.locked { try championStack().last }
    }

    /// Champions, oldest first: the last is the current one, the one before it is where `rollback` goes.
    public func championHistory() throws -> [Int] {
        try store.locked { try championStack() }
    }

    /// Makes version `n` the champion.
    public func promote(_ n: Int, at date: Date = Date()) throws {
        try store.locked {
            guard try versionExists(n) else { throw RegistryError("no model version \(n)") }
            guard try championStack().last != n else { throw RegistryError("model version \(n) is already the champion") }
            try logChampion(n, action: "promote", at: date)
        }
    }

    /// Goes back to the previous champion and returns (the champion before, the champion now).
    public func rollback(at date: Date = Date()) throws -> (from: Int, to: Int) {
        try store.locked {
            let stack = try championStack()
            guard stack.count >= 2 else {
                throw RegistryError(stack.isEmpty ? "no model is registered" : "model version \(stack[0]) is the first champion; there is none before it")
            }
            let to = stack[stack.count - 2]
            try logChampion(to, action: "rollback", at: date)
            return (stack[stack.count - 1], to)
        }
    }

    // MARK: Internals (call with the store's lock held)

    private func versionExists(_ n: Int) throws -> Bool {
        let s = try store.db.prepare("SELECT 1 FROM model_versions WHERE version = ?1", "find model")
        s.bind(1, n)
        return try s.step()
    }

    private func logChampion(_ version: Int, action: String, at date: Date) throws {
        let s = try store.db.prepare("INSERT INTO model_champion_log (version, action, at) VALUES (?1, ?2, ?3)", "record champion")
        s.bind(1, version)
        s.bind(2, action)
        s.bind(3, date.timeIntervalSince1970)
        try s.run()
    }

    /// Replays the champion log: `first` and `promote` push, `rollback` pops.
    private func championStack() throws -> [Int] {
        let s = try store.db.prepare("SELECT version, action FROM model_champion_log ORDER BY seq", "read champion log")
        var stack: [Int] = []
        while try s.step() {
            if s.text(1) == "rollback" {
                if !stack.isEmpty { stack.removeLast() }
            } else {
                stack.append(Int(s.int64(0)))
            }
        }
        return stack
    }

    private static func encode<T: Encodable>(_ m: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(m), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(T.self, from: Data(text.utf8))
    }
}
