import ChurnCore
import XCTest

/// `CompiledModel.score` keeps its top three drivers with selects instead of sorting: the same
/// drivers, in the same order, with the same impacts as a plain sort.
final class DriverRankingTests: XCTestCase {
    func testScoreKeepsThePlainSortsTopThree() throws {
        try checkAgainstPlainSort(Fixtures.trainedModel, rows: 20_000)
    }

    /// Two numeric features with the same numbers, given the same values, tie on every row: the
    /// earlier one must come first, as a stable sort keeps them.
    func testTiesKeepTheEarlierDriver() throws {
        var model = Fixtures.trainedModel
        XCTAssertGreaterThanOrEqual(model.numeric.count, 3)
        model.numeric[2].mean = model.numeric[1].mean
        model.numeric[2].std = model.numeric[1].std
        model.numeric[2].median = model.numeric[1].median
        model.numeric[2].coefficient = model.numeric[1].coefficient
        let ties = try checkAgainstPlainSort(model, rows: 5_000) { values in values[2] = values[1] }
        XCTAssertGreaterThan(ties, 50, "rows where two drivers tied")
    }

    /// Scores random customers and compares drivers and impacts with a sort of every eligible
    /// positive contribution (by size, then by driver number); returns the rows where two of the
    /// top three tied.
    @discardableResult
    private func checkAgainstPlainSort(_ model: ChurnModel, rows: Int, adjust: (inout [Double]) -> Void = { _ in }) throws -> Int {
        let compiled = try CompiledModel(model)
        var generator = SystemRandomNumberGenerator()
        var ties = 0
        for _ in 0..<rows {
            var numeric = model.numeric.map { f -> Double in
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: return f.median
                case 1: return f.median + Double(Int.random(in: -5...5, using: &generator))
                default: return f.mean + f.std * Double.random(in: -4...4, using: &generator)
                }
            }
            adjust(&numeric)
            let categories = model.categorical.map { f in Int32.random(in: -1..<Int32(f.categories.count), using: &generator) }
            let s = numeric.withUnsafeBufferPointer { n in
                categories.withUnsafeBufferPointer { c in compiled.score(numeric: n.baseAddress!, categories: c.baseAddress!, revenue: .nan) }
            }
            var offers: [(driver: Int, contribution: Double)] = []
            for (j, f) in model.numeric.enumerated() {
                let c = f.coefficient * ((numeric[j] - f.mean) * (f.std > 0 ? 1 / f.std : 1))
                let sign: Double = f.coefficient > 0 ? 1 : (f.coefficient < 0 ? -1 : 0)
                if (numeric[j] - f.median) * sign > 0 && c > 0 { offers.append((j, c)) }
            }
            var base = model.numeric.count
            for (i, f) in model.categorical.enumerated() {
                let k = Int(categories[i])
                if k >= 0 {
                    let baseline = f.categories.reduce(0) { $0 + $1.frequency * $1.coefficient }
                    let c = f.categories[k].coefficient - baseline
                    if c > 0 { offers.append((base + k, c)) }
                }
                base += f.categories.count
            }
            let top = offers.sorted { $0.contribution != $1.contribution ? $0.contribution > $1.contribution : $0.driver < $1.driver }.prefix(3)
            let expected = top.map { UInt16($0.driver) } + Array(repeating: RowScore.noDriver, count: 3 - top.count)
            let impacts = top.map { Float($0.contribution) } + Array(repeating: Float(0), count: 3 - top.count)
            XCTAssertEqual([s.drivers.0, s.drivers.1, s.drivers.2], expected)
            XCTAssertEqual([s.impacts.0, s.impacts.1, s.impacts.2], impacts)
            if zip(top, top.dropFirst()).contains(where: { $0.contribution == $1.contribution }) { ties += 1 }
        }
        return ties
    }
}
