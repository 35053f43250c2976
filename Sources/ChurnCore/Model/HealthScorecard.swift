/// A Gainsight-style weighted scorecard: health = Σ wᵢ·sᵢ / Σ wᵢ, each measure sᵢ scaled 0–100
/// between its `low` and `high` (by default the training population's 5th and 95th percentiles).
public struct HealthScorecard: Codable, Equatable, Sendable {
    /// Measures on numeric features.
    public var measures: [Measure]
    /// Measures on categorical features (absent in older model files).
    public var categorical: [CategoricalMeasure]?
    /// Stretches the weighted score so that it spans the population (absent: used as is).
    public var scale: Scale?
    public init(measures: [Measure], categorical: [CategoricalMeasure]? = nil, scale: Scale? = nil) {
        self.measures = measures
        self.categorical = categorical
        self.scale = scale
    }

    /// A measure on a categorical feature: a 0–100 sub-score per category. A category not listed
    /// (or unseen in training) scores `unseen`.
    public struct CategoricalMeasure: Codable, Equatable, Sendable {
        public var column: String
        public var weight: Double
        public var scores: [CategoryScore]
        public var unseen: Double
        public init(column: String, weight: Double, scores: [CategoryScore], unseen: Double) {
            self.column = column
            self.weight = weight
            self.scores = scores
            self.unseen = unseen
        }
    }

    /// One category's 0–100 sub-score.
    public struct CategoryScore: Codable, Equatable, Sendable {
        public var value: String
        public var score: Double
        public init(value: String, score: Double) {
            self.value = value
            self.score = score
        }
    }

    /// The weighted score (0–100) is mapped linearly so that `low` becomes 0 and `high` 100,
    /// clamped. By default `low` and `high` are the training population's 5th and 95th percentiles
    /// of the weighted score, so health uses the whole 0–100 range.
    public struct Scale: Codable, Equatable, Sendable {
        public var low: Double
        public var high: Double
        public init(low: Double, high: Double) {
            self.low = low
            self.high = high
        }

        public func apply(_ raw: Double) -> Double {
            let span = high - low
            guard span > 0 else { return raw }
            return min(100, max(0, 100 * (raw - low) / span))
        }
    }

    /// One measure of the scorecard, on a numeric feature column.
    public struct Measure: Codable, Equatable, Sendable {
        public var column: String
        public var weight: Double
        public var direction: Direction
        public var low: Double
        public var high: Double
        public init(column: String, weight: Double, direction: Direction, low: Double, high: Double) {
            self.column = column
            self.weight = weight
            self.direction = direction
            self.low = low
            self.high = high
        }

        /// The measure's 0–100 sub-score for a value.
        public func subScore(_ value: Double) -> Double {
            let span = high - low
            var t = span > 0 ? (value - low) / span : 0.5
            t = min(1, max(0, t))
            return 100 * (direction == .higherIsHealthier ? t : 1 - t)
        }
    }

    /// Whether a larger value of the measure means a healthier customer.
    public enum Direction: String, Codable, Sendable {
        case higherIsHealthier = "higher-is-healthier"
        case lowerIsHealthier = "lower-is-healthier"
    }
}

/// Which intervention to suggest: rules keyed by a customer's churn drivers, a high-value rule,
/// and a fallback.
public struct InterventionRules: Codable, Equatable, Sendable {
    /// Tried in order against the customer's drivers (strongest first); the first match wins.
    public var rules: [Rule]
    /// A valuable customer at high risk gets this before any driver rule.
    public var highValue: HighValueRule?
    /// When no rule matches a Medium- or High-risk customer's drivers.
    public var fallback: String
    /// The one "no action" intervention every Low-risk customer gets ("Monitor" when absent).
    public var lowRiskAction: String
    public static let defaultLowRiskAction = "Monitor"

    public init(rules: [Rule], highValue: HighValueRule?, fallback: String,
                lowRiskAction: String = InterventionRules.defaultLowRiskAction) {
        self.rules = rules
        self.highValue = highValue
        self.fallback = fallback
        self.lowRiskAction = lowRiskAction
    }

    private enum CodingKeys: String, CodingKey { case rules, highValue, fallback, lowRiskAction }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rules = try c.decode([Rule].self, forKey: .rules)
        highValue = try c.decodeIfPresent(HighValueRule.self, forKey: .highValue)
        fallback = try c.decode(String.self, forKey: .fallback)
        lowRiskAction = try c.decodeIfPresent(String.self, forKey: .lowRiskAction) ?? Self.defaultLowRiskAction
    }

    /// A driver and the action it calls for. `driver` names a numeric column, a category
    /// (`column=value`) or a categorical column (all its categories). `direction` says which way
    /// the numeric value must raise risk for the rule to apply (`high` or `low`; absent: either);
    /// `driver` may also carry it, as in results files (`tenure_months low`).
    public struct Rule: Codable, Equatable, Sendable {
        public var driver: String
        public var direction: DriverDirection?
        public var action: String
        /// The rule applies only from this risk level up ("Medium" when absent: Low-risk customers
        /// always get the `lowRiskAction`).
        public var minimumRisk: String?
        public init(driver: String, direction: DriverDirection? = nil, action: String, minimumRisk: String? = nil) {
            self.driver = driver
            self.direction = direction
            self.action = action
            self.minimumRisk = minimumRisk
        }
    }

    /// Customers whose revenue is at least `minimum` and whose risk level is at least `minimumRisk`.
    public struct HighValueRule: Codable, Equatable, Sendable {
        public var minimum: Double
        public var minimumRisk: String
        public var action: String
        public init(minimum: Double, minimumRisk: String, action: String) {
            self.minimum = minimum
            self.minimumRisk = minimumRisk
            self.action = action
        }
    }
}

extension HealthScorecard {
    /// The scorecard evaluated on feature indices: the slow, obvious version of what
    /// `CompiledModel` computes, used in training to find the population's scale.
    public struct Evaluator {
        let numericMeasures: [(feature: Int, measure: Measure)]
        let categoricalMeasures: [(feature: Int, weight: Double, scores: [Double], unseen: Double)]
        let weightSum: Double

        public init(_ card: HealthScorecard, numeric: [NumericFeature], categorical: [CategoricalFeature]) {
            numericMeasures = card.measures.compactMap { m in numeric.firstIndex { $0.column == m.column }.map { ($0, m) } }
            categoricalMeasures = (card.categorical ?? []).compactMap { m in
                guard let f = categorical.firstIndex(where: { $0.column == m.column }) else { return nil }
                let scores = categorical[f].categories.map { c in m.scores.first { $0.value == c.value }?.score ?? m.unseen }
                return (f, m.weight, scores, m.unseen)
            }
            weightSum = numericMeasures.reduce(0) { $0 + $1.measure.weight } + categoricalMeasures.reduce(0) { $0 + $1.weight }
        }

        /// Σ wᵢ·sᵢ / Σ wᵢ on the 0–100 scale, before `scale`; 50 with no measures.
        /// - Parameters:
        ///   - numeric: the value of numeric feature j (blanks already imputed).
        ///   - category: the category index of categorical feature f, -1 when unseen.
        public func weightedScore(numeric: (Int) -> Double, category: (Int) -> Int) -> Double {
            guard weightSum > 0 else { return 50 }
            var sum = 0.0
            for (j, m) in numericMeasures { sum += m.weight * m.subScore(numeric(j)) }
            for m in categoricalMeasures {
                let k = category(m.feature)
                sum += m.weight * (k >= 0 ? m.scores[k] : m.unseen)
            }
            return sum / weightSum
        }
    }
}
