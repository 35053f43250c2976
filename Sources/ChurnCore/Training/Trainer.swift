import Foundation

/// Trains a `ChurnModel` from a table: infers the schema, standardizes, one-hot encodes, fits
/// L2-regularized logistic regression, and derives the health scorecard and intervention rules.
public struct Trainer: Sendable {
    /// What to train on and how.
    public struct Options: Sendable {
        public var labelColumn: String
        /// The label value meaning "churned"; inferred for 0/1, true/false and yes/no labels.
        public var positive: String?
        public var idColumn: String?
        public var ignore: [String]
        public var revenueColumn: String?
        public var C: Double
        /// Risk cut points given by the user; absent ones are calibrated from the training churn
        /// rate (`RiskThresholds.calibrated`).
        public var thresholds: RiskThresholds.Partial
        /// Columns with a protected-attribute name that may be used as features all the same.
        public var allowSensitive: [String]
        public var createdAt: Date

        public init(labelColumn: String, positive: String? = nil, idColumn: String? = nil, ignore: [String] = [],
                    revenueColumn: String? = nil, C: Double = 1.0,
                    thresholds: RiskThresholds.Partial = RiskThresholds.Partial(),
                    allowSensitive: [String] = [], createdAt: Date = Date()) {
            self.labelColumn = labelColumn
            self.positive = positive
            self.idColumn = idColumn
            self.ignore = ignore
            self.revenueColumn = revenueColumn
            self.C = C
            self.thresholds = thresholds
            self.allowSensitive = allowSensitive
            self.createdAt = createdAt
        }
    }

    /// Why training cannot proceed.
    public struct TrainingError: Error, CustomStringConvertible {
        public let description: String
    }

    public var options: Options
    public init(options: Options) { self.options = options }

    /// Trains on `table`; `fingerprint` identifies the file it came from.
    public func train(_ table: Table, fingerprint: DataFingerprint) throws -> ChurnModel {
        let header = table.header
        guard let labelIndex = table.columnIndex(options.labelColumn) else {
            throw TrainingError(description: "\(table.name): no label column '\(options.labelColumn)' (columns: \(header.joined(separator: ", ")))")
        }
        for name in options.ignore where table.columnIndex(name) == nil {
            throw TrainingError(description: "\(table.name): --ignore names '\(name)', which is not a column")
        }
        if let id = options.idColumn, table.columnIndex(id) == nil {
            throw TrainingError(description: "\(table.name): no id column '\(id)'")
        }
        for name in options.allowSensitive where table.columnIndex(name) == nil {
            throw TrainingError(description: "\(table.name): --allow-sensitive names '\(name)', which is not a column")
        }

        // Label: rows with a blank label are skipped.
        let labelValues = Set(table.rows.map { $0[labelIndex].trimmingSpaces }.filter { !$0.isEmpty })
        let positive = try options.positive ?? Self.inferPositive(labelValues, table: table.name, column: options.labelColumn)
        guard labelValues.contains(positive) else {
            throw TrainingError(description: "\(table.name): label column '\(options.labelColumn)' never has the positive value '\(positive)'")
        }
        guard labelValues.count == 2 else {
            throw TrainingError(description: "\(table.name): label column '\(options.labelColumn)' must have two values, found \(labelValues.count): \(labelValues.sorted().prefix(5).joined(separator: ", "))")
        }
        var usable: [Int] = []
        for (r, row) in table.rows.enumerated() where !row[labelIndex].trimmingSpaces.isEmpty { usable.append(r) }
        let skipped = table.rows.count - usable.count + table.rejected.count
        let y = usable.map { table.rows[$0][labelIndex].trimmingSpaces == positive }
        guard y.contains(true), y.contains(false) else {
            throw TrainingError(description: "\(table.name): training needs both churned and retained customers")
        }

        // Schema.
        var ignored: [IgnoredColumn] = []
        var numericColumns: [Int] = []
        var categoricalColumns: [(Int, [String])] = []
        var idCandidates: [String] = []
        var emailColumn: String?
        for (c, name) in header.enumerated() where c != labelIndex {
            if name == options.idColumn { continue }
            if options.ignore.contains(name) {
                ignored.append(IgnoredColumn(column: name, reason: "ignored by --ignore"))
                continue
            }
            if let attribute = SensitiveColumns.attribute(of: name), !options.allowSensitive.contains(name) {
                ignored.append(IgnoredColumn(column: name, reason: "protected attribute (\(attribute)): not used for advice; --allow-sensitive \(name) to use it"))
                continue
            }
            let cells = usable.map { table.rows[$0][c] }
            switch ColumnProfiler.role(of: cells) {
            case .numeric: numericColumns.append(c)
            case .categorical(let values): categoricalColumns.append((c, values))
            case .ignored(let reason):
                ignored.append(IgnoredColumn(column: name, reason: reason))
                if reason.hasPrefix("identifier-like") {
                    let looksLikeEmail = cells.prefix(100).filter { $0.contains("@") }.count * 2 > min(cells.count, 100)
                    if looksLikeEmail && emailColumn == nil { emailColumn = name } else if !looksLikeEmail { idCandidates.append(name) }
                }
            }
        }
        // The id column: one named like an id (customerID, CustomerId) before a row counter.
        let idColumn = options.idColumn ?? idCandidates.first { Self.namedLikeId($0) } ?? idCandidates.first
        guard !numericColumns.isEmpty || !categoricalColumns.isEmpty else {
            throw TrainingError(description: "\(table.name): no usable feature columns")
        }

        // Numeric columns: impute blanks, unparsable cells and numbers beyond `NumericRange` (which
        // scoring rejects) with the median, then standardize.
        var imputed = 0
        var numericValues: [[Double]] = []
        var numericStats: [(mean: Double, std: Double, median: Double, p05: Double, p95: Double)] = []
        for c in numericColumns {
            var parsed = usable.map { NumericRange.number(table.rows[$0][c]) }
            let present = parsed.compactMap { $0 }.sorted()
            let median = Self.quantile(present, 0.5)
            for i in parsed.indices where parsed[i] == nil {
                parsed[i] = median
                imputed += 1
            }
            let values = parsed.map { $0! }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
            let std = variance > 1e-24 ? variance.squareRoot() : 1  // (nearly) constant: no scaling
            let sorted = values.sorted()
            numericValues.append(values)
            numericStats.append((mean, std, median, Self.quantile(sorted, 0.05), Self.quantile(sorted, 0.95)))
        }

        // Design matrix: standardized numerics, then one-hot categories.
        let n = usable.count
        let d = numericColumns.count + categoricalColumns.reduce(0) { $0 + $1.1.count }
        var x = [Double](repeating: 0, count: n * d)
        var frequencies: [[Double]] = []
        for (j, values) in numericValues.enumerated() {
            let s = numericStats[j]
            for i in 0..<n { x[i * d + j] = (values[i] - s.mean) / s.std }
        }
        var offset = numericColumns.count
        for (c, values) in categoricalColumns {
            var counts = [Int](repeating: 0, count: values.count)
            let index = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
            for (i, r) in usable.enumerated() {
                if let k = index[table.rows[r][c].trimmingSpaces] {
                    x[i * d + offset + k] = 1
                    counts[k] += 1
                }
            }
            frequencies.append(counts.map { Double($0) / Double(n) })
            offset += values.count
        }

        let fit = LogisticRegression(C: options.C).fit(x: x, rows: n, columns: d, y: y)

        let numeric = numericColumns.enumerated().map { j, c in
            NumericFeature(column: header[c], mean: numericStats[j].mean, std: numericStats[j].std,
                           median: numericStats[j].median, p05: numericStats[j].p05, p95: numericStats[j].p95,
                           coefficient: fit.weights[j], bins: DriftBins.fit(numericValues[j]))
        }
        offset = numericColumns.count
        var categorical: [CategoricalFeature] = []
        for (f, (c, values)) in categoricalColumns.enumerated() {
            let cats = values.enumerated().map { k, v in
                CategoricalFeature.Category(value: v, frequency: frequencies[f][k], coefficient: fit.weights[offset + k])
            }
            categorical.append(CategoricalFeature(column: header[c], categories: cats))
            offset += values.count
        }

        // Training metrics from the fitted probabilities.
        var probabilities = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var z = fit.intercept
            for j in 0..<d { z += x[i * d + j] * fit.weights[j] }
            probabilities[i] = 1 / (1 + Foundation.exp(-z))
        }
        let positiveRate = Double(y.filter { $0 }.count) / Double(n)
        let thresholds = options.thresholds.filled(from: RiskThresholds.calibrated(positiveRate: positiveRate))
        guard thresholds.mediumRisk <= thresholds.highRisk else {
            throw TrainingError(description: "risk cut points: Medium (\(thresholds.mediumRisk)) is above High (\(thresholds.highRisk))")
        }
        let metrics = EvaluationMetrics.compute(probabilities: probabilities, labels: y, threshold: thresholds.decision)

        // Health: the default scorecard, stretched to span the training population.
        var categoryIndices: [[Int]] = []
        for (c, values) in categoricalColumns {
            let index = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })
            categoryIndices.append(usable.map { index[table.rows[$0][c].trimmingSpaces] ?? -1 })
        }
        let unscaled = DefaultPolicies.healthScorecard(numeric, categorical)
        let evaluator = HealthScorecard.Evaluator(unscaled, numeric: numeric, categorical: categorical)
        let raw = (0..<n).map { i in
            evaluator.weightedScore(numeric: { j in numericValues[j][i] }, category: { f in categoryIndices[f][i] })
        }.sorted()
        var health = unscaled
        if Self.quantile(raw, 0.95) > Self.quantile(raw, 0.05) {
            health.scale = HealthScorecard.Scale(low: (Self.quantile(raw, 0.05) * 1000).rounded() / 1000,
                                                 high: (Self.quantile(raw, 0.95) * 1000).rounded() / 1000)
        }

        let revenueColumn = options.revenueColumn ?? Self.guessRevenueColumn(numeric.map(\.column))
        if let r = options.revenueColumn, table.columnIndex(r) == nil {
            throw TrainingError(description: "\(table.name): no revenue column '\(r)'")
        }
        let revenueP75: Double? = revenueColumn.flatMap { name in
            table.columnIndex(name).map { c in Self.quantile(usable.compactMap { NumericRange.number(table.rows[$0][c]) }.sorted(), 0.75) }
        }
        // An executive sponsor for the top quarter of accounts only makes sense for business-sized
        // accounts, not a consumer's monthly bill.
        let highValueMinimum = revenueP75.flatMap { $0 >= ChurnModel.businessRevenueFloor ? $0 : nil }

        let formatter = ISO8601DateFormatter()
        return ChurnModel(
            createdAt: formatter.string(from: options.createdAt),
            label: LabelSpec(column: options.labelColumn, positive: positive),
            idColumn: idColumn, emailColumn: emailColumn, revenueColumn: revenueColumn,
            ignoredColumns: ignored, intercept: fit.intercept, numeric: numeric, categorical: categorical,
            regularization: Regularization(C: options.C), thresholds: thresholds,
            health: health,
            interventions: DefaultPolicies.interventions(numeric: numeric, categorical: categorical, revenueMinimum: highValueMinimum),
            training: TrainingReport(rows: n, skippedRows: skipped, imputedCells: imputed,
                                     positiveRate: positiveRate,
                                     iterations: fit.iterations, converged: fit.converged, metrics: metrics, data: fingerprint))
    }

    static func inferPositive(_ values: Set<String>, table: String, column: String) throws -> String {
        for candidate in ["1", "true", "True", "TRUE", "yes", "Yes", "YES", "churned", "churn"] where values.contains(candidate) {
            return candidate
        }
        throw TrainingError(description: "\(table): cannot tell which value of '\(column)' means churn (values: \(values.sorted().prefix(5).joined(separator: ", "))); pass --positive VALUE")
    }

    /// `customerID`, `CustomerId`, `account_id`, `id`: a name whose last word is "id".
    static func namedLikeId(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == "id" || lower.hasSuffix("_id") || lower.hasSuffix(" id") || name.hasSuffix("ID") || name.hasSuffix("Id")
    }

    static func guessRevenueColumn(_ numeric: [String]) -> String? {
        for name in ["mrr", "revenue", "monthly_revenue", "arr", "monthly_charges", "MonthlyCharges"] {
            if let match = numeric.first(where: { $0.lowercased() == name.lowercased() }) { return match }
        }
        return nil
    }

    /// Linear-interpolation quantile of sorted values (numpy's default).
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
