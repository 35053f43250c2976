import ChurnCoordinator
import ChurnCore
import ChurnIO
import ChurnStore
import Foundation

/// The model the server scores with right now. With `--model @champion` (or no `--model` and a
/// registry champion) it follows the registry: after a promote or rollback the next call returns
/// the new champion. A file or `@N` never changes.
final class ModelInUse: @unchecked Sendable {
    let reference: ModelReference
    let registryPath: String
    /// Guarded by `lock`: the loaded model, its compiled form and the registry version (nil: a file).
    private var loaded: ModelFile.Loaded
    private var compiledModel: CompiledModel
    private var version: Int?
    private let lock = NSLock()

    init(reference: ModelReference, registryPath: String, initial: ModelFile.Loaded) throws {
        self.reference = reference
        self.registryPath = registryPath
        loaded = initial
        compiledModel = try CompiledModel(initial.model)
        if case .version(let n) = reference { version = n }
        if reference == .champion { version = try? ModelRegistry(path: registryPath).champion() }
    }

    /// The current model, compiled; reloaded when the champion has changed. A registry that
    /// cannot be read leaves the last model in use.
    func current() -> (loaded: ModelFile.Loaded, compiled: CompiledModel, version: Int?) {
        lock.lock()
        defer { lock.unlock() }
        if reference == .champion, let champion = try? ModelRegistry(path: registryPath).champion(), champion != version,
           let resolved = try? ModelReference.version(champion).resolve(registryPath: registryPath),
           let compiled = try? CompiledModel(resolved.loaded.model) {
            loaded = resolved.loaded
            compiledModel = compiled
            version = champion
        }
        return (loaded, compiledModel, version)
    }
}
