/// The default health scorecard and intervention rules a freshly trained model gets.
/// Both can be overridden by a policy file (`--policy`).
public enum DefaultPolicies {
    /// One measure per numeric feature and one per categorical feature, each weighted by the span
    /// of log-odds it covers (so a feature that moves risk more weighs more):
    ///
    /// - numeric: weight |coefficient| · (p95 − p05) / std, scaled between the 5th and 95th
    ///   percentiles, direction from the coefficient's sign;
    /// - categorical: weight = largest − smallest category coefficient; the riskiest category
    ///   scores 0, the safest 100, the others in proportion; an unseen category scores as the
    ///   frequency-weighted average customer.
    ///
    /// Features with no effect carry no weight and are left out. `scale` stretches the weighted
    /// score to the population (see `HealthScorecard.Scale`); the trainer computes it.
    public static func healthScorecard(_ numeric: [NumericFeature], _ categorical: [CategoricalFeature] = [],
                                       scale: HealthScorecard.Scale? = nil) -> HealthScorecard {
        let measures = numeric.compactMap { f -> HealthScorecard.Measure? in
            let span = f.std > 0 ? (f.p95 - f.p05) / f.std : 0
            let weight = rounded3(abs(f.coefficient) * span)
            guard weight > 0 else { return nil }
            return HealthScorecard.Measure(column: f.column, weight: weight,
                                           direction: f.coefficient > 0 ? .lowerIsHealthier : .higherIsHealthier,
                                           low: f.p05, high: f.p95)
        }
        let categoricalMeasures = categorical.compactMap { f -> HealthScorecard.CategoricalMeasure? in
            let coefficients = f.categories.map(\.coefficient)
            guard let top = coefficients.max(), let bottom = coefficients.min() else { return nil }
            let weight = rounded3(top - bottom)
            guard weight > 0 else { return nil }
            let baseline = f.categories.reduce(0) { $0 + $1.frequency * $1.coefficient }
            func score(_ c: Double) -> Double { rounded3(100 * (top - c) / (top - bottom)) }
            return HealthScorecard.CategoricalMeasure(
                column: f.column, weight: weight,
                scores: f.categories.map { HealthScorecard.CategoryScore(value: $0.value, score: score($0.coefficient)) },
                unseen: score(baseline))
        }
        return HealthScorecard(measures: measures, categorical: categoricalMeasures.isEmpty ? nil : categoricalMeasures,
                               scale: scale)
    }

    private static func rounded3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    /// What a column is about, read from words in its name, and which way its value must go for
    /// the default action to make sense.
    public enum Topic: String, CaseIterable, Sendable {
        case support, payments, usage, tenure, pricing, contract

        /// The default action for a Medium- or High-risk customer whose driver has this topic.
        public var action: String {
            switch self {
            case .support: return "Dedicated support call"
            case .payments: return "Billing help and grace period"
            case .usage: return "Re-engagement and product training"
            case .tenure: return "Onboarding programme"
            case .pricing: return "Retention discount"
            case .contract: return "Longer-contract offer"
            }
        }

        /// An action that replaces `action` at High risk.
        public var highRiskAction: String? { self == .payments ? "Retention discount with a payment plan" : nil }
    }

    /// Topic words, tried in order; the first entry whose word the column name contains decides.
    /// `fits` is the direction in which the value must raise risk for the topic's action to fit:
    /// a discount for a *high* price, onboarding for a *short* tenure, re-engagement for *low*
    /// usage or a *long* time since the last login, billing help for *many* failed payments or a
    /// *short* on-time streak.
    static let topicWords: [(words: [String], topic: Topic, fits: Set<DriverDirection>)] = [
        (["ticket", "escalation", "complaint", "support_call", "service_call", "servicecall", "custserv"], .support, [.high]),
        (["streak", "on_time", "ontime"], .payments, [.low]),
        (["failed_payment", "payment_fail", "overdue", "declined", "late_payment", "missed_payment", "payment", "billing", "invoice"],
         .payments, [.high]),
        (["drop", "decline", "since", "inactive", "idle", "days_without"], .usage, [.high]),
        (["usage", "login", "active", "session", "engagement", "visits"], .usage, [.low]),
        (["tenure", "onboard", "age_months", "account_age", "months"], .tenure, [.low]),
        (["price", "charge", "fee", "cost"], .pricing, [.high]),
        (["contract"], .contract, [.is, .low]),
    ]

    /// The topic of a driver on `column` that raises risk in `direction`, when the column name
    /// has a topic word and the direction fits its meaning; nil otherwise (`MonthlyCharges low`
    /// has no topic: a low price is no reason for a discount).
    public static func topic(column: String, direction: DriverDirection) -> Topic? {
        let lower = column.lowercased()
        guard let entry = topicWords.first(where: { e in e.words.contains { lower.contains($0) } }) else { return nil }
        return entry.fits.contains(direction) ? entry.topic : nil
    }

    /// Rules for every feature whose name has a topic and whose risk-raising direction fits it
    /// (each rule records that direction), applying from Medium risk up; a high-value rule when
    /// `revenueMinimum` is given; "Success check-in" as the fallback and "Monitor" for Low risk.
    public static func interventions(numeric: [NumericFeature], categorical: [CategoricalFeature], revenueMinimum: Double?) -> InterventionRules {
        var rules: [InterventionRules.Rule] = []
        func add(_ column: String, _ direction: DriverDirection) {
            guard let topic = topic(column: column, direction: direction) else { return }
            let ruleDirection: DriverDirection? = direction == .is ? nil : direction
            if let high = topic.highRiskAction {
                rules.append(.init(driver: column, direction: ruleDirection, action: high, minimumRisk: "High"))
            }
            rules.append(.init(driver: column, direction: ruleDirection, action: topic.action, minimumRisk: "Medium"))
        }
        for f in numeric {
            if let d = DriverDirection.raisingRisk(coefficient: f.coefficient) { add(f.column, d) }
        }
        for f in categorical { add(f.column, .is) }
        let highValue = revenueMinimum.map {
            InterventionRules.HighValueRule(minimum: $0, minimumRisk: "High", action: "Executive sponsor call")
        }
        return InterventionRules(rules: rules, highValue: highValue, fallback: "Success check-in")
    }
}
