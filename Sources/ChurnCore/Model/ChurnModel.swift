/// A trained churn model as stored in a model file: versioned, human-readable JSON.
///
/// Everything scoring needs is here: the input schema (numeric and categorical columns with their
/// scaling and imputation values), the logistic-regression coefficients, the risk thresholds, the
/// health scorecard, the intervention rules, and what the model was trained on and how well it did.
public struct ChurnModel: Codable, Equatable, Sendable {
    /// Always "churn-model"; lets tools recognise the file.
    public var format: String = "churn-model"
    /// Incremented on any incompatible change of this layout.
    public var formatVersion: Int = ChurnModel.currentFormatVersion
    public static let currentFormatVersion = 1
    /// ISO-8601 time of training.
    public var createdAt: String
    public var label: LabelSpec
    /// Column that identifies a customer in results (optional: line numbers are used without one).
    public var idColumn: String?
    /// Column with the customer's e-mail address, used for retention offers (optional).
    public var emailColumn: String?
    /// Column with recurring revenue, used for revenue at risk and `--rank-by revenue` (optional).
    public var revenueColumn: String?
    /// Columns present in training data that are not features, with the reason.
    public var ignoredColumns: [IgnoredColumn]
    public var intercept: Double
    public var numeric: [NumericFeature]
    public var categorical: [CategoricalFeature]
    public var regularization: Regularization
    public var thresholds: RiskThresholds
    public var health: HealthScorecard
    public var interventions: InterventionRules
    public var training: TrainingReport

    public init(
        createdAt: String, label: LabelSpec, idColumn: String?, emailColumn: String?, revenueColumn: String?,
        ignoredColumns: [IgnoredColumn], intercept: Double, numeric: [NumericFeature],
        categorical: [CategoricalFeature], regularization: Regularization, thresholds: RiskThresholds,
        health: HealthScorecard, interventions: InterventionRules, training: TrainingReport
    ) {
        self.createdAt = createdAt
        self.label = label
        self.idColumn = idColumn
        self.emailColumn = emailColumn
        self.revenueColumn = revenueColumn
        self.ignoredColumns = ignoredColumns
        self.intercept = intercept
        self.numeric = numeric
        self.categorical = categorical
        self.regularization = regularization
        self.thresholds = thresholds
        self.health = health
        self.interventions = interventions
        self.training = training
    }

    /// Columns a scoring input must have.
    public var requiredColumns: [String] {
        var columns = numeric.map(\.column) + categorical.map(\.column)
        if let idColumn { columns.insert(idColumn, at: 0) }
        return columns
    }
}

/// Which column holds the label and which value of it means "churned".
public struct LabelSpec: Codable, Equatable, Sendable {
    public var column: String
    public var positive: String
    public init(column: String, positive: String) {
        self.column = column
        self.positive = positive
    }
}

/// A training column that is not a feature, and why.
public struct IgnoredColumn: Codable, Equatable, Sendable {
    public var column: String
    public var reason: String
    public init(column: String, reason: String) {
        self.column = column
        self.reason = reason
    }
}

/// A numeric feature: standardized as `(x - mean) / std`; blank cells take the training median.
public struct NumericFeature: Codable, Equatable, Sendable {
    public var column: String
    public var mean: Double
    /// Population standard deviation (as scikit-learn's StandardScaler); 1 for a constant column.
    public var std: Double
    public var median: Double
    /// 5th and 95th percentiles of the training population: the health scorecard's scale.
    public var p05: Double
    public var p95: Double
    public var coefficient: Double
    public init(column: String, mean: Double, std: Double, median: Double, p05: Double, p95: Double, coefficient: Double) {
        self.column = column
        self.mean = mean
        self.std = std
        self.median = median
        self.p05 = p05
        self.p95 = p95
        self.coefficient = coefficient
    }
}

/// A categorical feature, one-hot encoded. A value not seen in training encodes as all zeros.
public struct CategoricalFeature: Codable, Equatable, Sendable {
    public var column: String
    public var categories: [Category]
    public init(column: String, categories: [Category]) {
        self.column = column
        self.categories = categories
    }

    /// One level of a categorical feature.
    public struct Category: Codable, Equatable, Sendable {
        public var value: String
        /// Share of training rows with this value; a driver's contribution is measured against the
        /// frequency-weighted average coefficient.
        public var frequency: Double
        public var coefficient: Double
        public init(value: String, frequency: Double, coefficient: Double) {
            self.value = value
            self.frequency = frequency
            self.coefficient = coefficient
        }
    }
}

/// The fit's penalty, stated so the model file says what objective produced it.
public struct Regularization: Codable, Equatable, Sendable {
    public var penalty: String = "l2"
    /// Inverse regularization strength, as scikit-learn's `C`.
    public var C: Double
    public init(C: Double) { self.C = C }
}

/// Cut points: the decision threshold on probability, and risk-level cut points on the 0–100 risk score.
public struct RiskThresholds: Codable, Equatable, Sendable {
    public var decision: Double
    public var mediumRisk: Int
    public var highRisk: Int
    public init(decision: Double = 0.5, mediumRisk: Int = 40, highRisk: Int = 70) {
        self.decision = decision
        self.mediumRisk = mediumRisk
        self.highRisk = highRisk
    }

    /// Any field may be left out (a policy file often sets only the cut points); defaults fill in.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        decision = try c.decodeIfPresent(Double.self, forKey: .decision) ?? 0.5
        mediumRisk = try c.decodeIfPresent(Int.self, forKey: .mediumRisk) ?? 40
        highRisk = try c.decodeIfPresent(Int.self, forKey: .highRisk) ?? 70
    }
}

/// What training saw and how well the model fits it.
public struct TrainingReport: Codable, Equatable, Sendable {
    public var rows: Int
    public var skippedRows: Int
    public var imputedCells: Int
    public var positiveRate: Double
    public var iterations: Int
    public var converged: Bool
    public var metrics: EvaluationMetrics
    public var data: DataFingerprint
    public init(rows: Int, skippedRows: Int, imputedCells: Int, positiveRate: Double, iterations: Int, converged: Bool,
                metrics: EvaluationMetrics, data: DataFingerprint) {
        self.rows = rows
        self.skippedRows = skippedRows
        self.imputedCells = imputedCells
        self.positiveRate = positiveRate
        self.iterations = iterations
        self.converged = converged
        self.metrics = metrics
        self.data = data
    }
}

/// Identifies the training data: file name, size and a 64-bit FNV-1a hash of its bytes.
public struct DataFingerprint: Codable, Equatable, Sendable {
    public var file: String
    public var bytes: Int
    public var fnv1a64: String
    public init(file: String, bytes: Int, fnv1a64: String) {
        self.file = file
        self.bytes = bytes
        self.fnv1a64 = fnv1a64
    }
}
