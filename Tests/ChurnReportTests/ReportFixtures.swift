import ChurnCore
import ChurnReport
import Foundation

/// Realistic report inputs shared by the report tests.
enum ReportFixtures {
    static let hostileId = "<script>alert('x')</script>"

    static func customer(_ i: Int, id: String, email: String, p: Double, health: Int, revenue: Double,
                         drivers: [(String, Double)], intervention: String) -> RankedCustomer {
        let score = Int((p * 100).rounded())
        let level = score >= 70 ? "High" : (score >= 40 ? "Medium" : "Low")
        return RankedCustomer(line: UInt64(i + 2), id: id, email: email, revenue: revenue, probability: p, riskScore: score,
                              riskLevel: level, health: health, drivers: drivers.map { DriverImpact(name: $0.0, impact: $0.1) },
                              intervention: intervention, rankKey: (100 * p + Double(100 - health)) / 2)
    }

    static var topCustomers: [RankedCustomer] {
        [
            customer(812, id: "C-10482", email: "maria.lopez@northwind.example", p: 0.987, health: 4, revenue: 12_400,
                     drivers: [("failed_payments", 2.41), ("open_tickets", 1.12), ("usage_drop_pct", 0.52)],
                     intervention: "Executive sponsor call"),
            customer(77, id: "C-20931", email: "j.chen@bluefin.example", p: 0.972, health: 9, revenue: 890,
                     drivers: [("open_tickets", 1.83), ("recent_support_escalations", 0.94), ("days_since_last_login", 0.31)],
                     intervention: "Dedicated support call"),
            customer(1430, id: "C-31207", email: "billing@tidewater.example", p: 0.955, health: 12, revenue: 1_420.5,
                     drivers: [("failed_payments", 1.65), ("payment_streak", 0.71)],
                     intervention: "Retention discount with a payment plan"),
            customer(3, id: hostileId, email: "", p: 0.941, health: 15, revenue: 640,
                     drivers: [("usage_drop_pct", 1.22), ("days_since_last_login", 0.88), ("segment=small-business", 0.21)],
                     intervention: "Re-engagement and product training"),
            customer(5021, id: "C-44810", email: "oskar.berg@fjord.example", p: 0.93, health: 18, revenue: 2_150,
                     drivers: [("tenure_months", 1.05), ("usage_drop_pct", 0.45)], intervention: "Onboarding programme"),
            customer(998, id: "C-51876", email: "amelie.durand@lumiere.example", p: 0.912, health: 21, revenue: 475.25,
                     drivers: [("days_since_last_login", 0.97), ("open_tickets", 0.66), ("failed_payments", 0.12)],
                     intervention: "Re-engagement and product training"),
            customer(2412, id: "C-60233", email: "ops@kestrel.example", p: 0.897, health: 26, revenue: 3_890,
                     drivers: [("recent_support_escalations", 1.31), ("open_tickets", 0.74)],
                     intervention: "Dedicated support call"),
            customer(611, id: "C-70019", email: "priya.natarajan@saffron.example", p: 0.884, health: 30, revenue: 980,
                     drivers: [("failed_payments", 0.92)], intervention: "Billing help and grace period"),
            customer(7310, id: "C-81542", email: "", p: 0.861, health: 33, revenue: 210,
                     drivers: [("segment=small-business", 0.38), ("payment_streak", 0.22)], intervention: "Success check-in"),
            customer(45, id: "C-90377", email: "tom.walsh@harbor.example", p: 0.846, health: 37, revenue: 1_760,
                     drivers: [("usage_drop_pct", 0.81), ("tenure_months", 0.44), ("open_tickets", 0.19)],
                     intervention: "Re-engagement and product training"),
        ]
    }

    static func realisticAggregate() -> ScoreAggregate {
        var a = ScoreAggregate(topLimit: 10)
        a.rowsScored = 48_213
        a.rowsRejected = 137
        a.healthHistogram = [1_204, 2_377, 3_908, 4_655, 5_980, 7_114, 7_802, 6_541, 5_263, 3_369]
        a.riskCounts = [31_052, 10_944, 6_217]
        a.revenueCents = 6_254_019_050
        a.highRiskRevenueCents = 803_211_400
        a.expectedLossCents = 1_174_500_975
        a.imputedCells = 2_184
        a.unseenCategories = 12
        a.top = topCustomers
        a.rejected = (0..<120).map { (i: Int) -> RejectedRow in
            let reason: String
            if i == 0 {
                reason = "column 'mrr': '<b>n/a</b> & \"unknown\"' is not a number"
            } else if i % 3 == 0 {
                reason = "column 'open_tickets': 'many' is not a number"
            } else {
                reason = "row has \(10 + i % 4) fields, the header has 13"
            }
            return RejectedRow(line: UInt64(10 + i * 397), reason: reason)
        }
        return a
    }

    static func input(_ aggregate: ScoreAggregate, newlyHighRisk: [String] = ["C-20931", hostileId, "C-70019"],
                      previousRun: String? = "run #41 of 2025-02-28") -> ReportInput {
        ReportInput(
            title: "Churn risk report — customers-march.csv",
            generatedAt: Date(timeIntervalSince1970: 1_741_180_800),
            input: .init(name: "customers-march.csv", bytes: 6_318_402, fingerprint: "fnv1a64:8c3f0e2a91b7d455"),
            model: .init(hash: "sha256:3b9d41e07c5a2f6e8d1c", createdAt: "2025-02-14T09:30:00Z", accuracy: 0.978, auc: 0.995,
                         featureCount: 11, trainingRows: 1000, trainingFile: "train.csv"),
            run: .init(id: 42, workers: 4, durationSeconds: 1.84, rowsPerSecond: 26_277, rankBy: .combined),
            aggregate: aggregate, newlyHighRisk: newlyHighRisk, previousRun: previousRun, currencySymbol: "$",
            sender: .init(company: "Acme Analytics"))
    }
}
