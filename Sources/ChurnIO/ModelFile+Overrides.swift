import ChurnCore
import Crypto

extension ModelFile.Loaded {
    /// The same model with other risk cut points: its bytes re-encoded and re-hashed, so workers
    /// see it as the distinct model it is.
    public func overriding(thresholds: RiskThresholds) throws -> ModelFile.Loaded {
        var model = self.model
        model.thresholds = thresholds
        _ = try CompiledModel(model)
        let bytes = try ModelFile.encode(model)
        return ModelFile.Loaded(model: model, bytes: bytes, sha256: Array(SHA256.hash(data: bytes)), email: email, currency: currency)
    }
}
