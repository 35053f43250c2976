import ChurnCore
import Foundation

/// Generated customer tables, each built to show one way advice can go wrong: a price whose *low*
/// values raise risk, a tenure whose *high* values raise risk, a 20%-churn imbalanced set, a
/// gender column that predicts churn, and numeric row counters and customer numbers.
enum AdviceData {
    /// SplitMix64: the same seed gives the same table on every machine.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-12), v = uniform()
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * .pi * v)
        }
        mutating func chance(_ p: Double) -> Bool { uniform() < p }
    }

    static func sigmoid(_ z: Double) -> Double { 1 / (1 + Foundation.exp(-z)) }

    /// A consumer telecom: `monthly_price` 20–120, where cheap plans churn more (no commitment);
    /// a month-to-month contract raises risk strongly; `tenure_months` short raises risk.
    static func lowPriceRaisesRisk(rows: Int = 3000, seed: UInt64 = 1) -> Table {
        var r = Random(state: seed)
        var out: [[String]] = []
        let contracts = ["Month-to-month", "One year", "Two year"]
        for i in 0..<rows {
            let contract = contracts[r.uniform() < 0.55 ? 0 : (r.uniform() < 0.5 ? 1 : 2)]
            let price = (20 + 100 * r.uniform()).rounded() + 0.25
            let tenure = Int(1 + 71 * r.uniform())
            let calls = Int(max(0, 1.5 + 1.2 * r.normal()).rounded())
            var z = -1.0 - 0.035 * (price - 70) - 0.03 * Double(tenure - 36) + 0.35 * Double(calls - 1)
            z += contract == "Month-to-month" ? 1.6 : (contract == "One year" ? -0.6 : -1.8)
            out.append(["T\(String(format: "%05d", i))", contract, String(price), String(tenure), String(calls),
                        r.chance(sigmoid(z)) ? "Yes" : "No"])
        }
        return Table(name: "telecom.csv", header: ["customer_id", "Contract", "monthly_price", "tenure_months", "service_calls", "Churn"],
                     rows: out, lines: (0..<UInt64(out.count)).map { $0 + 2 })
    }

    /// A SaaS book where long-standing accounts churn more (contracts come up for renegotiation),
    /// and low weekly logins raise risk.
    static func highTenureRaisesRisk(rows: Int = 3000, seed: UInt64 = 2) -> Table {
        var r = Random(state: seed)
        var out: [[String]] = []
        for i in 0..<rows {
            let tenure = Int(1 + 95 * r.uniform())
            let logins = max(0, (12 + 6 * r.normal()).rounded())
            let seats = Int(5 + 200 * r.uniform())
            let z = -1.2 + 0.045 * Double(tenure - 48) - 0.25 * (logins - 12)
            out.append(["A\(i)", String(tenure), String(logins), String(seats), r.chance(sigmoid(z)) ? "1" : "0"])
        }
        return Table(name: "saas.csv", header: ["account_id", "tenure_months", "weekly_logins", "seats", "churned"],
                     rows: out, lines: (0..<UInt64(out.count)).map { $0 + 2 })
    }

    /// A retail bank with about 20% churn: `RowNumber` (1, 2, 3, …), `CustomerId` (unique 8-digit
    /// numbers), `Gender` that predicts churn in the data, `Age` (older churn more), `IsActiveMember`
    /// (inactive churn more), `Balance`, `Geography`.
    static func bank(rows: Int = 4000, seed: UInt64 = 3) -> Table {
        var r = Random(state: seed)
        var out: [[String]] = []
        var ids = Set<Int>()
        for i in 0..<rows {
            var id = 15_000_000 + Int(r.next() % 900_000)
            while ids.contains(id) { id += 1 }
            ids.insert(id)
            let gender = r.chance(0.45) ? "Female" : "Male"
            let geography = ["France", "Germany", "Spain"][r.uniform() < 0.5 ? 0 : (r.uniform() < 0.5 ? 1 : 2)]
            let age = Int(max(18, min(90, 39 + 10 * r.normal())))
            let active = r.chance(0.5) ? 1 : 0
            let balance = r.chance(0.35) ? 0 : (120_000 + 30_000 * r.normal()).rounded()
            let products = r.chance(0.5) ? 1 : (r.chance(0.9) ? 2 : 3)
            var z = -2.05 + 0.075 * Double(age - 39) - 0.95 * Double(active) + 0.5
            z += gender == "Female" ? 0.55 : 0
            z += geography == "Germany" ? 0.75 : 0
            z += products == 3 ? 1.5 : (products == 2 ? -0.9 : 0)
            out.append([String(i + 1), String(id), gender, geography, String(age), String(active), String(balance), String(products),
                        r.chance(sigmoid(z)) ? "1" : "0"])
        }
        return Table(name: "bank.csv",
                     header: ["RowNumber", "CustomerId", "Gender", "Geography", "Age", "IsActiveMember", "Balance", "NumOfProducts", "Exited"],
                     rows: out, lines: (0..<UInt64(out.count)).map { $0 + 2 })
    }

    static func train(_ table: Table, label: String, options: (inout Trainer.Options) -> Void = { _ in }) throws -> ChurnModel {
        var o = Trainer.Options(labelColumn: label, createdAt: Date(timeIntervalSince1970: 0))
        options(&o)
        return try Trainer(options: o).train(table, fingerprint: DataFingerprint(file: table.name, bytes: 0, fnv1a64: "0"))
    }

    /// Every training row scored by the compiled model, with its label.
    static func scoreAll(_ table: Table, _ model: ChurnModel) throws -> [(score: RowScore, churned: Bool, record: [String: String])] {
        let compiled = try CompiledModel(model)
        let label = table.columnIndex(model.label.column)!
        return try table.rows.map { row in
            let record = Dictionary(uniqueKeysWithValues: zip(table.header, row))
            return (try compiled.score(record: record), row[label] == model.label.positive, record)
        }
    }
}
