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

    private enum CodingKeys: String, CodingKey {
        case format, formatVersion, createdAt, label, idColumn, emailColumn, revenueColumn, ignoredColumns, intercept
        case numeric, categorical, regularization, thresholds, health, interventions, training
    }

    /// Decodes a model file. A file without risk cut points (or with only some of them) gets the
    /// missing ones calibrated from its training churn rate, as `churn train` does today.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        label = try c.decode(LabelSpec.self, forKey: .label)
        idColumn = try c.decodeIfPresent(String.self, forKey: .idColumn)
        emailColumn = try c.decodeIfPresent(String.self, forKey: .emailColumn)
        revenueColumn = try c.decodeIfPresent(String.self, forKey: .revenueColumn)
        ignoredColumns = try c.decode([IgnoredColumn].self, forKey: .ignoredColumns)
        intercept = try c.decode(Double.self, forKey: .intercept)
        numeric = try c.decode([NumericFeature].self, forKey: .numeric)
        categorical = try c.decode([CategoricalFeature].self, forKey: .categorical)
        regularization = try c.decode(Regularization.self, forKey: .regularization)
        health = try c.decode(HealthScorecard.self, forKey: .health)
        interventions = try c.decode(InterventionRules.self, forKey: .interventions)
        training = try c.decode(TrainingReport.self, forKey: .training)
        let calibrated = RiskThresholds.calibrated(positiveRate: training.positiveRate)
        let partial = try c.decodeIfPresent(RiskThresholds.Partial.self, forKey: .thresholds)
        thresholds = partial.map { $0.filled(from: calibrated) } ?? calibrated
    }

    /// Columns a scoring input must have.
    public var requiredColumns: [String] {
        var columns = numeric.map(\.column) + categorical.map(\.column)
        if let idColumn { columns.insert(idColumn, at: 0) }
        return columns
    }

    /// Whether the data looks like business accounts rather than consumers, which decides whether
    /// e-mail drafts may speak of "your team" and whether a high-value rule makes sense. True when a
    /// column is named for a company-sized signal (seats, users, employees, licences, company,
    /// industry) or a category value names a business segment (enterprise, mid-market, SMB,
    /// small-business, B2B), or the revenue column's median is at least `businessRevenueFloor`.
    public var looksLikeBusinessAccounts: Bool {
        let columnWords = ["seat", "employee", "licen", "company", "industry", "user_count", "users", "num_users", "workspace"]
        let columns = (numeric.map(\.column) + categorical.map(\.column)).map { $0.lowercased() }
        if columns.contains(where: { c in columnWords.contains { c.contains($0) } }) { return true }
        let segmentWords = ["enterprise", "mid-market", "midmarket", "smb", "small-business", "small business", "b2b"]
        for f in categorical {
            for cat in f.categories where segmentWords.contains(where: { cat.value.lowercased().contains($0) }) { return true }
        }
        if let r = revenueColumn, let f = numeric.first(where: { $0.column == r }), f.median >= Self.businessRevenueFloor {
            return true
        }
        return false
    }

    /// A recurring revenue per customer from which accounts are business-sized (in the data's
    /// currency per period; consumer plans are far below it).
    public static let businessRevenueFloor = 500.0
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
    /// The training distribution, for drift checks; absent in models trained before it was kept.
    public var bins: DriftBins?
    public init(column: String, mean: Double, std: Double, median: Double, p05: Double, p95: Double, coefficient: Double,
                bins: DriftBins? = nil) {
        self.bins = bins
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

    /// The most frequent training value: the typical customer's category.
    public var typical: String {
        categories.max { a, b in a.frequency < b.frequency || (a.frequency == b.frequency && a.value > b.value) }?.value ?? ""
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

    /// Cut points calibrated to a churn base rate `r` (the training share of churners): Medium from
    /// the base rate (risk score ≥ round(100·r)), High from twice it, but no higher than halfway
    /// between the base rate and certainty (round(50 + 50·r)). A customer is then Medium when the
    /// model rates them at least as likely to leave as the average customer, and High at twice
    /// that. For 20% churn: 20 and 40; for 26%: 26 and 52; for 50%: 50 and 75.
    public static func calibrated(positiveRate r: Double, decision: Double = 0.5) -> RiskThresholds {
        let rate = r.isFinite ? min(max(r, 0), 1) : 0.5
        let medium = min(98, max(1, Int((100 * rate).rounded())))
        let high = min(99, max(medium + 1, min(Int((200 * rate).rounded()), Int((50 + 50 * rate).rounded()))))
        return RiskThresholds(decision: decision, mediumRisk: medium, highRisk: high)
    }

    /// Thresholds as written in a file, any field possibly absent.
    public struct Partial: Codable, Sendable {
        public var decision: Double?
        public var mediumRisk: Int?
        public var highRisk: Int?
        public init(decision: Double? = nil, mediumRisk: Int? = nil, highRisk: Int? = nil) {
            self.decision = decision
            self.mediumRisk = mediumRisk
            self.highRisk = highRisk
        }

        /// These thresholds, absent fields taken from `base`.
        public func filled(from base: RiskThresholds) -> RiskThresholds {
            RiskThresholds(decision: decision ?? base.decision, mediumRisk: mediumRisk ?? base.mediumRisk,
                           highRisk: highRisk ?? base.highRisk)
        }
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
