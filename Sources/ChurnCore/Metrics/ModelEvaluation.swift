/// Scores a labelled table with a model and measures it: what `churn evaluate` and `churn retrain`
/// report.
public enum ModelEvaluation {
    /// The metrics, the probabilities and labels they came from (row order), and rows not used.
    public struct Result: Sendable {
        public var metrics: EvaluationMetrics
        public var probabilities: [Double]
        public var labels: [Bool]
        public var skipped: [RejectedRow]
        public var calibration: Calibration { Calibration(probabilities: probabilities, labels: labels) }
    }

    /// The table lacks the model's label column.
    public struct EvaluationError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Scores every row with a label; rows with a blank label or a bad value are skipped and listed.
    public static func run(_ model: CompiledModel, on table: Table) throws -> Result {
        let spec = model.model.label
        guard let labelIndex = table.columnIndex(spec.column) else {
            throw EvaluationError(description: "\(table.name): no label column '\(spec.column)'")
        }
        var probabilities: [Double] = []
        var labels: [Bool] = []
        var skipped = table.rejected
        for (r, row) in table.rows.enumerated() {
            let labelText = row[labelIndex].trimmingSpaces
            guard !labelText.isEmpty else {
                skipped.append(RejectedRow(line: table.lines[r], reason: "blank label"))
                continue
            }
            var record: [String: String] = [:]
            for (c, name) in table.header.enumerated() { record[name] = row[c] }
            do {
                probabilities.append(try model.score(record: record).probability)
                labels.append(labelText == spec.positive)
            } catch {
                skipped.append(RejectedRow(line: table.lines[r], reason: "\(error)"))
            }
        }
        skipped.sort { $0.line < $1.line }
        return Result(metrics: EvaluationMetrics.compute(probabilities: probabilities, labels: labels,
                                                         threshold: model.model.thresholds.decision),
                      probabilities: probabilities, labels: labels, skipped: skipped)
    }
}
