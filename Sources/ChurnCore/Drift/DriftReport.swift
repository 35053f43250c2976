import Foundation

/// How far the data of a scoring run has moved from the data the model was trained on.
///
/// Per numeric feature with training bins: the population stability index
/// PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over the bins, where eᵢ is the training share of bin i and aᵢ the
/// scored share, each floored at `shareFloor` so an empty bin gives a large but finite term. Under
/// 0.1 the distribution is stable, 0.1–0.2 has moved somewhat, over 0.2 (`warningPSI`) has moved
/// enough that the model's scores deserve a second look. Per categorical feature: the share of
/// scored values not seen in training.
public struct DriftReport: Codable, Equatable, Sendable {
    /// PSI above which a feature is reported as drifted.
    public static let warningPSI = 0.2
    /// Smallest share used in the PSI (a bin with no rows counts as 0.01% of them).
    public static let shareFloor = 0.0001

    /// One numeric feature's drift.
    public struct Numeric: Codable, Equatable, Sendable {
        public var feature: String
        public var psi: Double
        /// Whether `psi` exceeds `warningPSI`.
        public var warning: Bool
        public var edges: [Double]
        /// Training shares per bin.
        public var expected: [Double]
        /// Scored shares per bin.
        public var actual: [Double]
    }

    /// One categorical feature's unseen values.
    public struct Categorical: Codable, Equatable, Sendable {
        public var feature: String
        public var unseen: UInt64
        public var unseenShare: Double
    }

    public var numeric: [Numeric]
    public var categorical: [Categorical]
    /// Numeric features the model has no training bins for (models trained before bins were kept).
    public var unbinnedFeatures: [String]

    /// The PSI of scored bin counts against training shares.
    public static func psi(expected: [Double], actualCounts: [UInt64]) -> Double {
        precondition(expected.count == actualCounts.count)
        let n = Double(actualCounts.reduce(0, +))
        guard n > 0 else { return 0 }
        var sum = 0.0
        for (e, c) in zip(expected, actualCounts) {
            let a = max(Double(c) / n, shareFloor), ee = max(e, shareFloor)
            sum += (a - ee) * Foundation.log(a / ee)
        }
        return sum
    }

    /// The report for a run's counts against `model`; nil without counts or scored rows.
    public init?(model: ChurnModel, counts: DriftCounts?, rowsScored: UInt64) {
        guard let counts, rowsScored > 0 else { return nil }
        var slot = 0
        numeric = []
        unbinnedFeatures = []
        for f in model.numeric {
            guard let bins = f.bins else {
                unbinnedFeatures.append(f.column)
                continue
            }
            let k = bins.shares.count
            guard slot + k <= counts.numericBins.count else { return nil }
            let c = Array(counts.numericBins[slot..<slot + k])
            slot += k
            let total = Double(max(c.reduce(0, +), 1))
            let value = Self.psi(expected: bins.shares, actualCounts: c)
            numeric.append(Numeric(feature: f.column, psi: value, warning: value > Self.warningPSI, edges: bins.edges,
                                   expected: bins.shares, actual: c.map { Double($0) / total }))
        }
        categorical = zip(model.categorical, counts.unseenCategories).map { f, unseen in
            Categorical(feature: f.column, unseen: unseen, unseenShare: Double(unseen) / Double(rowsScored))
        }
    }

    /// Numeric features whose PSI exceeds `warningPSI`.
    public var warnings: [Numeric] { numeric.filter(\.warning) }
}
