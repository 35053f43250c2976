import ChurnCore
import XCTest

/// `CompiledModel.countDrift` compares two padded edges at a time: every value must land in the
/// bin `DriftBins.bin(of:edges:)` gives, on edges of odd and even counts and on the edges themselves.
final class DriftCountTests: XCTestCase {
    func testCountDriftAgreesWithTheBinOfEachValue() throws {
        var model = Fixtures.trainedModel
        XCTAssertGreaterThanOrEqual(model.numeric.count, 4)
        model.numeric[0].bins = DriftBins(edges: [1, 2, 3], shares: [0.25, 0.25, 0.25, 0.25])  // odd: one pad
        model.numeric[1].bins = DriftBins(edges: [-5, 0.5], shares: [0.3, 0.3, 0.4])  // even: none
        model.numeric[2].bins = DriftBins(edges: [7], shares: [0.5, 0.5])
        model.numeric[3].bins = nil  // no bins: not counted
        let compiled = try CompiledModel(model)
        var expected = [UInt64](repeating: 0, count: compiled.driftSlotCount)
        var counted = [UInt64](repeating: 0, count: compiled.driftSlotCount)
        var generator = SystemRandomNumberGenerator()
        var slot = 0
        var firstSlot: [Int?] = []
        for f in model.numeric {
            firstSlot.append(f.bins.map { _ in slot })
            slot += f.bins.map { $0.shares.count } ?? 0
        }
        for _ in 0..<50_000 {
            let values = model.numeric.map { f -> Double in
                guard let edges = f.bins?.edges else { return Double.random(in: -10...10, using: &generator) }
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: return edges.randomElement(using: &generator)!  // exactly on an edge: the bin below
                case 1: return edges.randomElement(using: &generator)!.nextUp
                default: return Double.random(in: (edges.first! - 10)...(edges.last! + 10), using: &generator)
                }
            }
            for (j, f) in model.numeric.enumerated() {
                guard let bins = f.bins, let first = firstSlot[j] else { continue }
                expected[first + DriftBins.bin(of: values[j], edges: bins.edges)] += 1
            }
            values.withUnsafeBufferPointer { v in counted.withUnsafeMutableBufferPointer { compiled.countDrift(numeric: v.baseAddress!, into: $0.baseAddress!) } }
        }
        XCTAssertEqual(counted, expected)
        XCTAssertEqual(counted.reduce(0, +), 50_000 * UInt64(model.numeric.filter { $0.bins != nil }.count))
    }
}
