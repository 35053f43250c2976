/// A Gainsight-style weighted scorecard: health = Σ wᵢ·sᵢ / Σ wᵢ, each measure sᵢ scaled 0–100
/// between its `low` and `high` (by default the training population's 5th and 95th percentiles).
public struct HealthScorecard: Codable, Equatable, Sendable {
    public var measures: [Measure]
    public init(measures: [Measure]) { self.measures = measures }

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
    /// When no rule matches.
    public var fallback: String
    public init(rules: [Rule], highValue: HighValueRule?, fallback: String) {
        self.rules = rules
        self.highValue = highValue
        self.fallback = fallback
    }

    /// A driver (a column, or `column=value` for a category) and the action it calls for.
    public struct Rule: Codable, Equatable, Sendable {
        public var driver: String
        public var action: String
        /// The rule applies only from this risk level up ("Low" when absent).
        public var minimumRisk: String?
        public init(driver: String, action: String, minimumRisk: String? = nil) {
            self.driver = driver
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
