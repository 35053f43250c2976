import ChurnCore
import Crypto
import Foundation

/// Reading and writing model files, and policy overrides.
public enum ModelFile {
    /// A model as loaded: the model, its exact bytes (what workers receive) and their SHA-256.
    public struct Loaded: Sendable {
        public var model: ChurnModel
        public var bytes: [UInt8]
        public var sha256: [UInt8]
        public var hashHex: String { sha256.map { String(format: "%02x", $0) }.joined() }
        /// The policy file's e-mail settings, when it has any.
        public var email: EmailSettings?
        /// The policy file's `currency` symbol, when it has one (see `CurrencySymbol`).
        public var currency: String? = nil
    }

    /// Who signs the drafted retention e-mails: `{"company": "Acme Telecom", "sender": "Dana Reyes"}`.
    public struct EmailSettings: Codable, Sendable, Equatable {
        public var company: String?
        public var sender: String?
    }

    /// Overrides of a model's policies: the health scorecard, intervention rules and risk thresholds.
    /// Any of them may be absent.
    public struct Policy: Codable, Sendable {
        public var health: HealthScorecard?
        public var interventions: InterventionRules?
        /// Cut points to replace; absent fields keep the model's.
        public var thresholds: RiskThresholds.Partial?
        public var email: EmailSettings?
        /// The symbol before money amounts (see `CurrencySymbol`).
        public var currency: String?
    }

    /// Loads a model file, applying a policy file's overrides when given.
    public static func load(path: String, policyPath: String? = nil) throws -> Loaded {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such model file")
        }
        return try load(bytes: [UInt8](data), name: path, policyPath: policyPath)
    }

    /// Loads a model from its file's bytes (a registry version, say); `name` names it in errors.
    public static func load(bytes data: [UInt8], name path: String, policyPath: String? = nil) throws -> Loaded {
        var model: ChurnModel
        do {
            model = try JSONDecoder().decode(ChurnModel.self, from: Data(data))
        } catch {
            throw InputError(file: path, "is not a valid churn model file: \(describe(error))")
        }
        var bytes = data
        var email: EmailSettings?
        var currency: String?
        if let policyPath {
            guard let policyData = FileManager.default.contents(atPath: policyPath) else {
                throw InputError(file: policyPath, "no such policy file")
            }
            let policy: Policy
            do {
                policy = try JSONDecoder().decode(Policy.self, from: policyData)
            } catch {
                throw InputError(file: policyPath, "is not a valid policy file: \(describe(error))")
            }
            if let h = policy.health { model.health = h }
            if let i = policy.interventions { model.interventions = i }
            if let t = policy.thresholds { model.thresholds = t.filled(from: model.thresholds) }
            email = policy.email
            if let symbol = policy.currency, let problem = CurrencySymbol.problem(symbol) {
                throw InputError(file: policyPath, "currency: \(problem)")
            }
            currency = policy.currency
            if policy.health != nil || policy.interventions != nil || policy.thresholds != nil { bytes = try encode(model) }
        }
        do {
            _ = try CompiledModel(model)
        } catch {
            throw InputError(file: policyPath ?? path, "\(error)")
        }
        return Loaded(model: model, bytes: bytes, sha256: Array(SHA256.hash(data: bytes)), email: email, currency: currency)
    }

    /// The model as pretty-printed JSON with sorted keys.
    public static func encode(_ model: ChurnModel) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(model)) + [0x0A]
    }

    public static func save(_ model: ChurnModel, to path: String) throws {
        let bytes = try encode(model)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw InputError(file: path, "cannot be written")
        }
    }

    /// Decoding errors in words, with the JSON path.
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription) \(context.underlyingError.map { "(\($0.localizedDescription))" } ?? "")"
        default:
            return "\(error)"
        }
    }
}
