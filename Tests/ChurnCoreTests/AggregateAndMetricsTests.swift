import ChurnCore
import XCTest

final class AggregateAndMetricsTests: XCTestCase {
    func testHealthBinsIncludeZeroAndHundred() {
        XCTAssertEqual(ScoreAggregate.healthBin(0), 0)
        XCTAssertEqual(ScoreAggregate.healthBin(9), 0)
        XCTAssertEqual(ScoreAggregate.healthBin(10), 1)
        XCTAssertEqual(ScoreAggregate.healthBin(99), 9)
        XCTAssertEqual(ScoreAggregate.healthBin(100), 9)
        var a = ScoreAggregate(topLimit: 0)
        var s = RowScore()
        for h in [0, 100, 50] as [UInt8] {
            s.health = h
            a.count(s, revenue: .nan)
        }
        XCTAssertEqual(a.healthHistogram.reduce(0, +), 3)
    }

    /// `cents` rounds without `rounded()`'s libm call: the same whole cents on halves, negatives,
    /// values past 2^52 (already whole) and the largest revenues accepted.
    func testCentsRoundLikeRoundedOnEveryKindOfValue() {
        func reference(_ v: Double) -> Int64 { v.isFinite ? Int64((v * 100).rounded()) : 0 }
        var values: [Double] = [0, -0.0, 0.005, -0.005, 0.015, 1.005, 2.675, -2.675, 0.125, 0.5, 1e15, -1e15, 0x1p52 / 100,
                                0x1p53 / 100, 0x1p61 / 100, 0x1p62 / 100, 12.345, 99.995, .nan, .infinity, -.infinity,
                                .leastNonzeroMagnitude, 0.0049999999999999]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            let cents = Double(Int.random(in: -10_000_000...10_000_000, using: &generator))
            values.append((cents + 0.5) / 100)  // a half cent, as near as a Double gets
            values.append(cents / 100 + Double.random(in: -0.01...0.01, using: &generator))
            values.append(Double.random(in: -1e15...1e15, using: &generator))
        }
        for v in values { XCTAssertEqual(ScoreAggregate.cents(v), reference(v), "\(v)") }
    }

    func testMergingShardsGivesTheSameAggregateAsOnePass() {
        var rng = SystemRandomNumberGenerator()
        var rows: [(RowScore, Double, UInt64)] = []
        for line in 2..<2002 as Range<UInt64> {
            let p = Double.random(in: 0...1, using: &rng)
            let s = RowScore(probability: p, riskScore: UInt8((p * 100).rounded()), riskLevel: p > 0.7 ? .high : (p > 0.4 ? .medium : .low),
                             health: UInt8.random(in: 0...100, using: &rng), drivers: (0, 1, 2), impacts: (1, 0.5, 0.1), intervention: 0)
            rows.append((s, Double.random(in: 0...5000, using: &rng).rounded() / 100, line))
        }
        func aggregate(_ slice: ArraySlice<(RowScore, Double, UInt64)>) -> ScoreAggregate {
            var a = ScoreAggregate(topLimit: 15)
            for (s, revenue, line) in slice {
                a.count(s, revenue: revenue)
                let key = RankBy.combined.key(probability: s.probability, health: s.health, revenue: revenue)
                a.insertTop(RankedCustomer(line: line, id: "c\(line)", email: "", revenue: revenue, probability: s.probability,
                                           riskScore: Int(s.riskScore), riskLevel: s.riskLevel.name, health: Int(s.health),
                                           drivers: [], intervention: "x", rankKey: key))
                if line % 97 == 0 { a.reject(RejectedRow(line: line, reason: "test")) }
            }
            return a
        }
        let whole = aggregate(rows[...])
        var merged = ScoreAggregate(topLimit: 15)
        for shard in stride(from: 0, to: rows.count, by: 137).reversed() {  // out of order on purpose
            merged.merge(aggregate(rows[shard..<min(shard + 137, rows.count)]))
        }
        XCTAssertEqual(merged, whole)
        XCTAssertEqual(whole.top.count, 15)
    }

    func testMetricsOnAKnownExample() {
        let p = [0.1, 0.4, 0.35, 0.8]
        let y = [false, false, true, true]
        let m = EvaluationMetrics.compute(probabilities: p, labels: y)
        XCTAssertEqual(m.auc, 0.75, accuracy: 1e-12)  // scikit-learn's roc_auc_score gives 0.75
        XCTAssertEqual(m.prAuc, 0.8333333333333333, accuracy: 1e-12)  // average_precision_score
        XCTAssertEqual(m.accuracy, 0.75)
        XCTAssertEqual(m.confusion.truePositives, 1)
        XCTAssertEqual(m.confusion.falseNegatives, 1)
        XCTAssertEqual(m.brier, (0.01 + 0.16 + 0.4225 + 0.04) / 4, accuracy: 1e-12)
        XCTAssertEqual(m.logLoss, -(log(0.9) + log(0.6) + log(0.35) + log(0.8)) / 4, accuracy: 1e-12)
    }

    func testNumberParserAgreesWithDouble() {
        for text in ["0", "-0", "12", "12.5", "-3.25", "1e3", "1.5E-7", "+7", "0.1", "123456789012345678901234", "  42 ", "3.", ".5",
                     "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000000"] {
            XCTAssertEqual(NumberParser.parse(text), Double(text.trimmingCharacters(in: .whitespaces)), text)
        }
        for bad in ["", " ", "abc", "1.2.3", "1e", "--1", "0x10", "1,5", "nan", "inf", "1e999"] {
            XCTAssertNil(NumberParser.parse(bad), bad)
        }
    }
}
