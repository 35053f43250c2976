/// A numeric feature's training distribution, kept in the model so scoring runs can measure drift:
/// the cut points between bins and the share of training rows in each bin.
///
/// A value `x` falls in bin `b` = the number of edges strictly below `x` (so a value equal to an
/// edge goes to the bin on its left; numpy's `searchsorted(edges, x, side="left")`). There are
/// `edges.count + 1` bins. The edges are the training deciles (numpy's default linear quantiles)
/// with duplicates removed, so a column with few distinct values gets fewer, wider bins.
public struct DriftBins: Codable, Equatable, Sendable {
    /// Strictly increasing cut points.
    public var edges: [Double]
    /// Share of training rows in each bin (`edges.count + 1` values summing to 1).
    public var shares: [Double]

    public init(edges: [Double], shares: [Double]) {
        self.edges = edges
        self.shares = shares
    }

    /// The number of bins the training deciles give at most.
    public static let defaultBinCount = 10

    /// Bins fitted to training values (blanks already imputed, as they are scored).
    public static func fit(_ values: [Double], bins: Int = DriftBins.defaultBinCount) -> DriftBins {
        let sorted = values.sorted()
        var edges: [Double] = []
        for k in 1..<max(bins, 1) {
            let q = Trainer.quantile(sorted, Double(k) / Double(bins))
            if edges.last.map({ q > $0 }) ?? true { edges.append(q) }
        }
        var counts = [Int](repeating: 0, count: edges.count + 1)
        for v in values { counts[bin(of: v, edges: edges)] += 1 }
        let n = Double(max(values.count, 1))
        return DriftBins(edges: edges, shares: counts.map { Double($0) / n })
    }

    /// The bin of `x`: how many edges lie strictly below it.
    @inline(__always)
    public static func bin(of x: Double, edges: [Double]) -> Int {
        var b = 0
        while b < edges.count && edges[b] < x { b += 1 }
        return b
    }
}
