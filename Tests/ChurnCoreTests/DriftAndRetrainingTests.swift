import Foundation
import XCTest

@testable import ChurnCore

final class DriftAndRetrainingTests: XCTestCase {
    func testBinsAreDecilesWithValuesOnAnEdgeGoingLeft() {
        let bins = DriftBins.fit((1...100).map(Double.init))
        XCTAssertEqual(bins.edges.count, 9)
        XCTAssertEqual(bins.edges[0], 10.9, accuracy: 1e-12)  // numpy.quantile(1…100, 0.1)
        XCTAssertEqual(bins.shares.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(DriftBins.bin(of: bins.edges[0], edges: bins.edges), 0)
        XCTAssertEqual(DriftBins.bin(of: 1000, edges: bins.edges), 9)
        // Few distinct values: duplicate deciles collapse (numpy.quantile gives 0 ×5, 0.4, 1, 1, 1.1).
        let coarse = DriftBins.fit([0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
        XCTAssertEqual(coarse.edges.count, 4)
        for (a, b) in zip(coarse.edges, [0, 0.4, 1, 1.1]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(coarse.shares, [0.6, 0, 0.3, 0, 0.1])
    }

    func testPSIOfKnownShares() {
        // Same distribution: 0. Shifted by hand: Σ (a − e) ln(a / e).
        XCTAssertEqual(DriftReport.psi(expected: [0.5, 0.5], actualCounts: [50, 50]), 0, accuracy: 1e-15)
        let expected = 0.3 * log(0.8 / 0.5) + -0.3 * log(0.2 / 0.5)
        XCTAssertEqual(DriftReport.psi(expected: [0.5, 0.5], actualCounts: [80, 20]), expected, accuracy: 1e-12)
        // An empty bin counts as 0.01% of rows, so the PSI stays finite.
        let empty = DriftReport.psi(expected: [0.5, 0.5], actualCounts: [100, 0])
        XCTAssertTrue(empty.isFinite)
        XCTAssertEqual(empty, (1 - 0.5) * log(1 / 0.5) + (0.0001 - 0.5) * log(0.0001 / 0.5), accuracy: 1e-12)
    }

    func testDriftCountsMergeInAnyOrder() {
        var a = ScoreAggregate(topLimit: 1), b = ScoreAggregate(topLimit: 1), c = ScoreAggregate(topLimit: 1)
        a.drift = DriftCounts(numericBins: [1, 2, 3], unseenCategories: [4])
        b.drift = DriftCounts(numericBins: [10, 0, 1], unseenCategories: [0])
        var ab = a
        ab.merge(b)
        ab.merge(c)
        var cba = c
        cba.merge(b)
        cba.merge(a)
        XCTAssertEqual(ab.drift, DriftCounts(numericBins: [11, 2, 4], unseenCategories: [4]))
        XCTAssertEqual(cba.drift, ab.drift)
    }

    private func labelledTable(positives: Int, negatives: Int) -> Table {
        let rows = (0..<(positives + negatives)).map { i in [String(i), i < positives ? "1" : "0"] }
        return Table(name: "t.csv", header: ["x", "label"], rows: rows, lines: rows.indices.map { UInt64($0 + 2) })
    }

    func testHoldoutSplitIsStratifiedSeededAndKeepsOrder() throws {
        let table = labelledTable(positives: 40, negatives: 160)
        let (train, held) = try HoldoutSplit.split(table, labelColumn: "label", holdout: 0.25, seed: 3)
        XCTAssertEqual(held.rows.count, 50)
        XCTAssertEqual(held.rows.filter { $0[1] == "1" }.count, 10)
        XCTAssertEqual(train.rows.count + held.rows.count, 200)
        XCTAssertEqual(held.lines, held.lines.sorted())
        XCTAssertTrue(Set(train.lines).isDisjoint(with: held.lines))
        let again = try HoldoutSplit.split(table, labelColumn: "label", holdout: 0.25, seed: 3)
        XCTAssertEqual(again.holdout.lines, held.lines)
        let other = try HoldoutSplit.split(table, labelColumn: "label", holdout: 0.25, seed: 4)
        XCTAssertNotEqual(other.holdout.lines, held.lines)
        XCTAssertThrowsError(try HoldoutSplit.split(table, labelColumn: "label", holdout: 1, seed: 3))
    }

    private func metrics(auc: Double, logLoss: Double) -> EvaluationMetrics {
        var m = EvaluationMetrics.compute(probabilities: [0.2, 0.8], labels: [false, true])
        m.auc = auc
        m.logLoss = logLoss
        return m
    }

    func testPromotionRule() {
        let rule = PromotionRule()
        let champion = metrics(auc: 0.90, logLoss: 0.30)
        XCTAssertTrue(rule.decide(champion: champion, challenger: metrics(auc: 0.90, logLoss: 0.305)).promote)
        XCTAssertFalse(rule.decide(champion: champion, challenger: metrics(auc: 0.8999, logLoss: 0.20)).promote)
        XCTAssertFalse(rule.decide(champion: champion, challenger: metrics(auc: 0.95, logLoss: 0.307)).promote)
        XCTAssertFalse(rule.decide(champion: champion, challenger: metrics(auc: .nan, logLoss: 0.1)).promote)
        let lenient = PromotionRule(maxAUCDrop: 0.01, maxLogLossRise: 0.1)
        XCTAssertTrue(lenient.decide(champion: champion, challenger: metrics(auc: 0.891, logLoss: 0.32)).promote)
    }

    func testCalibrationBins() {
        let c = Calibration(probabilities: [0.05, 0.05, 0.95, 0.95], labels: [false, true, true, true])
        XCTAssertEqual(c.bins.count, 10)
        XCTAssertEqual(c.bins[0].rows, 2)
        XCTAssertEqual(c.bins[0].observed, 0.5)
        XCTAssertEqual(c.bins[9].predicted, 0.95, accuracy: 1e-12)
        XCTAssertEqual(c.error, 0.5 * 0.45 + 0.5 * 0.05, accuracy: 1e-12)
    }
}
