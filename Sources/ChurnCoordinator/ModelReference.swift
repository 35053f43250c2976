import ChurnIO
import ChurnStore
import Foundation

/// What a `--model` argument names: a model file, the registry's champion (`@champion`) or a
/// registered version (`@N`). Every command that takes a model resolves it here, so `score`,
/// `evaluate` and `serve` read the registry the same way.
public enum ModelReference: Equatable, Sendable, CustomStringConvertible {
    case file(String)
    case champion
    case version(Int)

    /// Parses a `--model` argument. Text starting with `@` must be `@champion` or `@N`.
    public init(argument: String) throws {
        guard argument.hasPrefix("@") else {
            self = .file(argument)
            return
        }
        let name = argument.dropFirst()
        if name == "champion" {
            self = .champion
        } else if let n = Int(name), n > 0 {
            self = .version(n)
        } else {
            throw ModelRegistry.RegistryError("--model \(argument): a registry reference is @champion or @N (a version number)")
        }
    }

    public var description: String {
        switch self {
        case .file(let path): return path
        case .champion: return "@champion"
        case .version(let n): return "@\(n)"
        }
    }

    /// Whether this names a registry entry rather than a file.
    public var usesRegistry: Bool {
        if case .file = self { return false }
        return true
    }

    /// A resolved model: the loaded file, the registry version it came from (nil for a file), and a
    /// name for summaries and history ("model.json", "registry v3 (@champion)").
    public struct Resolved: Sendable {
        public var loaded: ModelFile.Loaded
        public var version: Int?
        public var name: String
    }

    /// Loads the model this names, applying a policy file when given.
    /// - Parameters:
    ///   - registryPath: the history database holding the registry (`--db`, else the default).
    public func resolve(registryPath: String, policyPath: String? = nil) throws -> Resolved {
        switch self {
        case .file(let path):
            return Resolved(loaded: try ModelFile.load(path: path, policyPath: policyPath), version: nil, name: path)
        case .champion, .version:
            guard FileManager.default.fileExists(atPath: registryPath) else {
                throw ModelRegistry.RegistryError("--model \(self): no model registry at \(registryPath) (register one with churn train --register)")
            }
            let registry = try ModelRegistry(path: registryPath)
            let n: Int
            if case .version(let v) = self {
                n = v
            } else {
                guard let c = try registry.champion() else {
                    throw ModelRegistry.RegistryError("--model @champion: the registry at \(registryPath) has no models (churn train --register)")
                }
                n = c
            }
            guard let bytes = try registry.modelBytes(n) else {
                throw ModelRegistry.RegistryError("--model \(self): the registry at \(registryPath) has no model version \(n)")
            }
            let name = self == .champion ? "registry v\(n) (@champion)" : "registry v\(n)"
            return Resolved(loaded: try ModelFile.load(bytes: bytes, name: name, policyPath: policyPath), version: n, name: name)
        }
    }
}
