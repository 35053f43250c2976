import ChurnCore
import ChurnEngine
import ChurnHistoryFormat
import ChurnWire
import Crypto
import Foundation

/// Models a worker holds, by the SHA-256 of their JSON. Shared by the loop and scoring threads.
final class ModelCache: @unchecked Sendable {  // `models`, `order` guarded by `lock`
    private let lock = NSLock()
    private var models: [ModelHash: LoadedModel] = [:]
    /// Holds at most this many models; the oldest loaded goes first.
    private let capacity: Int
    private var order: [ModelHash] = []

    init(capacity: Int = 16) { self.capacity = capacity }

    subscript(hash: ModelHash) -> LoadedModel? {
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
    func load(hash: ModelHash, json: ArraySlice<UInt8>) throws -> LoadedModel {
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
        let compiled = LoadedModel(try CompiledModel(model))
        lock.lock()
        defer { lock.unlock() }
        models[hash] = compiled
        order.append(hash)
        if order.count > capacity { models[order.removeFirst()] = nil }
        return compiled
    }
}

/// A compiled model with what scoring shards of it needs besides: the results CSV's name table and
/// a pool of history builders (both made once per model, shared by the scoring threads).
final class LoadedModel: Sendable {
    let compiled: CompiledModel
    let names: ResultCSVFormatter.NameTable
    let recording: PredictionRecording

    init(_ compiled: CompiledModel) {
        self.compiled = compiled
        names = ResultCSVFormatter.NameTable(model: compiled)
        recording = PredictionRecording(driverNames: compiled.driverNames.count, interventions: compiled.actions.count,
                                        categoryLevels: PredictionRecording.categoryLevels(of: compiled.model))
    }
}

/// A model that could not be loaded.
struct ModelLoadError: Error, CustomStringConvertible {
    let description: String
}
