import ChurnCore
import ChurnWire
import Crypto
import Foundation

/// Models a worker holds, by the SHA-256 of their JSON. Shared by the loop and scoring threads.
final class ModelCache: @unchecked Sendable {  // `models`, `order` guarded by `lock`
    private let lock = NSLock()
    private var models: [ModelHash: CompiledModel] = [:]
    /// Holds at most this many models; the oldest loaded goes first.
    private let capacity: Int
    private var order: [ModelHash] = []

    init(capacity: Int = 16) { self.capacity = capacity }

    subscript(hash: ModelHash) -> CompiledModel? {
        lock.lock()
        defer { lock.unlock() }
        return models[hash]
    }

    var hashes: [ModelHash] {
        lock.lock()
        defer { lock.unlock() }
        return order
    }

    /// Verifies and compiles a model; the hash must be the SHA-256 of the bytes.
    func load(hash: ModelHash, json: ArraySlice<UInt8>) throws -> CompiledModel {
        if let existing = self[hash] { return existing }
        let digest = Bytes32(Array(SHA256.hash(data: Array(json))))!
        guard digest == hash else {
            throw ModelLoadError(description: "model bytes hash to \(digest.hex), not \(hash.hex)")
        }
        let model: ChurnModel
        do {
            model = try JSONDecoder().decode(ChurnModel.self, from: Data(json))
        } catch {
            throw ModelLoadError(description: "not a churn model: \(error)")
        }
        let compiled = try CompiledModel(model)
        lock.lock()
        defer { lock.unlock() }
        models[hash] = compiled
        order.append(hash)
        if order.count > capacity { models[order.removeFirst()] = nil }
        return compiled
    }
}

/// A model that could not be loaded.
struct ModelLoadError: Error, CustomStringConvertible {
    let description: String
}
