/// The default health scorecard and intervention rules a freshly trained model gets.
/// Both can be overridden by a policy file (`--policy`).
public enum DefaultPolicies {
    /// One measure per numeric feature: weight |coefficient| (features are standardized, so weights
    /// are comparable), direction from the coefficient's sign, scaled between the training
    /// population's 5th and 95th percentiles. Features with no effect carry no weight.
    public static func healthScorecard(_ numeric: [NumericFeature]) -> HealthScorecard {
        let measures = numeric.compactMap { f -> HealthScorecard.Measure? in
            let weight = (abs(f.coefficient) * 1000).rounded() / 1000
            guard weight > 0 else { return nil }
            return HealthScorecard.Measure(column: f.column, weight: weight,
                                           direction: f.coefficient > 0 ? .lowerIsHealthier : .higherIsHealthier,
                                           low: f.p05, high: f.p95)
        }
        return HealthScorecard(measures: measures)
    }

    /// Actions for drivers, matched by words in the column name; the seed data's columns all match.
    static let keywordActions: [(keywords: [String], action: String, highRiskAction: String?)] = [
        (["ticket", "escalation", "complaint", "support"], "Dedicated support call", nil),
        (["failed_payment", "payment", "billing", "invoice", "overdue"], "Billing help and grace period", "Retention discount with a payment plan"),
        (["usage", "login", "active", "session", "engagement"], "Re-engagement and product training", nil),
        (["tenure", "onboard", "age_months", "months"], "Onboarding programme", nil),
        (["price", "discount", "contract", "charge"], "Retention discount", nil),
    ]

    /// Rules for every feature whose name matches a keyword, a high-value rule on the revenue
    /// column's 75th percentile, and "Success check-in" otherwise.
    public static func interventions(numeric: [NumericFeature], categorical: [CategoricalFeature], revenueMinimum: Double?) -> InterventionRules {
        var rules: [InterventionRules.Rule] = []
        for column in numeric.map(\.column) + categorical.map(\.column) {
            let lower = column.lowercased()
            guard let match = keywordActions.first(where: { entry in entry.keywords.contains { lower.contains($0) } }) else { continue }
            if let high = match.highRiskAction { rules.append(.init(driver: column, action: high, minimumRisk: "High")) }
            rules.append(.init(driver: column, action: match.action))
        }
        let highValue = revenueMinimum.map {
            InterventionRules.HighValueRule(minimum: $0, minimumRisk: "High", action: "Executive sponsor call")
        }
        return InterventionRules(rules: rules, highValue: highValue, fallback: "Success check-in")
    }
}
