/// How well predicted probabilities match what happened: rows grouped into ten equal-width bins of
/// predicted probability (0–0.1, …, 0.9–1), each with its mean prediction and its observed churn
/// rate. A calibrated model's points lie on the diagonal.
public struct Calibration: Codable, Equatable, Sendable {
    /// One bin of predicted probability.
    public struct Bin: Codable, Equatable, Sendable {
        public var from: Double
        public var to: Double
        public var rows: Int
        /// Mean predicted probability of the bin's rows (0 when empty).
        public var predicted: Double
        /// Share of the bin's rows that churned (0 when empty).
        public var observed: Double
    }

    public var bins: [Bin]
    /// Expected calibration error: Σ rows/N · |observed − predicted| over the bins.
    public var error: Double

    public static let binCount = 10

    public init(probabilities p: [Double], labels y: [Bool]) {
        var rows = [Int](repeating: 0, count: Self.binCount)
        var predicted = [Double](repeating: 0, count: Self.binCount)
        var churned = [Int](repeating: 0, count: Self.binCount)
        for (q, label) in zip(p, y) {
            let b = min(Self.binCount - 1, max(0, Int(q * Double(Self.binCount))))
            rows[b] += 1
            predicted[b] += q
            if label { churned[b] += 1 }
        }
        let n = Double(max(p.count, 1))
        var bins: [Bin] = []
        var error = 0.0
        for b in 0..<Self.binCount {
            let count = rows[b]
            let mean = count > 0 ? predicted[b] / Double(count) : 0
            let rate = count > 0 ? Double(churned[b]) / Double(count) : 0
            bins.append(Bin(from: Double(b) / Double(Self.binCount), to: Double(b + 1) / Double(Self.binCount), rows: count,
                            predicted: mean, observed: rate))
            error += Double(count) / n * abs(rate - mean)
        }
        self.bins = bins
        self.error = error
    }
}
