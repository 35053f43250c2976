/// What a scoring run counts to measure drift: per numeric feature with training bins, how many
/// scored rows fell in each bin; per categorical feature, how many values were not seen in training.
///
/// Integer counts only, so shards' counts merge exactly and in any order: a run split across
/// threads or workers gives the same numbers as one pass.
public struct DriftCounts: Codable, Equatable, Sendable {
    /// Bin counts of every binned numeric feature, feature after feature (model order; features
    /// without bins take no slots).
    public var numericBins: [UInt64]
    /// Unseen values per categorical feature, in model order.
    public var unseenCategories: [UInt64]

    public init(numericBins: [UInt64], unseenCategories: [UInt64]) {
        self.numericBins = numericBins
        self.unseenCategories = unseenCategories
    }

    /// Adds another run's counts; counts of a different shape (another model) are a programming error.
    public mutating func merge(_ other: DriftCounts) {
        precondition(other.numericBins.count == numericBins.count && other.unseenCategories.count == unseenCategories.count,
                     "drift counts of different models")
        for i in numericBins.indices { numericBins[i] &+= other.numericBins[i] }
        for i in unseenCategories.indices { unseenCategories[i] &+= other.unseenCategories[i] }
    }
}
