import ChurnCore
@testable import ChurnEngine
import XCTest

/// The results formatter writes decimals from a table of three-digit groups; these must be the
/// digits the plain digit-by-digit loop (`reference`, the formatter's earlier code) writes.
final class ResultCSVFormatterTests: XCTestCase {
    /// `value` rounded half away from zero to `decimals` places, one digit at a time.
    private func reference(_ value: Double, decimals: Int) -> String {
        var v = value
        let divisor = decimals == 6 ? 1_000_000 : 1_000
        var out = ""
        if v < 0 {
            if Int(-v * Double(divisor) + 0.5) > 0 { out += "-" }
            v = -v
        }
        let scaled = Int(v * Double(divisor) + 0.5)
        out += String(scaled / divisor) + "."
        var fraction = scaled % divisor
        var place = divisor / 10
        while place > 0 {
            out += String(fraction / place)
            fraction %= place
            place /= 10
        }
        return out
    }

    func testProbabilitiesAndImpactsMatchTheDigitLoop() throws {
        let names = ResultCSVFormatter.NameTable(drivers: [Array("d0".utf8), Array("d1".utf8), Array("d2".utf8)],
                                                 actions: [Array("act".utf8)])
        var probabilities: [Double] = [0, 1, 0.5, 0.0000005, 0.0000004999, 0.9999995, 0.9999994999, 0.123456, 0.1234565, 1e-300]
        var impacts: [Float] = [0, 0.0005, 0.0004999, 0.9995, 1, 9.999, 12.3456, 999.9995, 1000, 1234.5678, 65_000.25]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            probabilities.append(Double.random(in: 0...1, using: &rng))
            impacts.append(Float.random(in: 0...20, using: &rng))
        }
        for k in 0..<1000 { probabilities.append(Double(k) / 1000 + 0.0000005) }
        var formatter = ResultCSVFormatter(names: names, capacity: 64)
        var expected = ""
        for (i, p) in probabilities.enumerated() {
            let impact = impacts[i % impacts.count]
            let score = RowScore(probability: p, riskScore: UInt8(Int(p * 100 + 0.5)), riskLevel: .medium, health: 42,
                                 drivers: (1, 0, RowScore.noDriver), impacts: (impact, impacts[(i + 1) % impacts.count], 0),
                                 intervention: 0)
            "C\(i)".utf8CString.withUnsafeBytes { id in
                formatter.append(lineOffset: 0, id: UnsafeRawBufferPointer(rebasing: id.dropLast()), score: score)
            }
            expected += "C\(i),\(reference(p, decimals: 6)),\(score.riskScore),Medium,42,d1,\(reference(Double(impact), decimals: 3)),"
                + "d0,\(reference(Double(impacts[(i + 1) % impacts.count]), decimals: 3)),,,act\n"
        }
        let block = formatter.finish()
        XCTAssertEqual(String(decoding: block.array, as: UTF8.self), expected)
    }

    func testImpactsTooLargeForFixedPointPrintAsDoublesWithinTheRowsReserve() throws {
        let names = ResultCSVFormatter.NameTable(drivers: [Array("d0".utf8), Array("d1".utf8), Array("d2".utf8)],
                                                 actions: [Array("act".utf8)])
        let huge: [Float] = [1e15, -1e16, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity, 9.99e14]
        var formatter = ResultCSVFormatter(names: names, capacity: 1)
        var expected = ""
        for (i, impact) in huge.enumerated() {
            let score = RowScore(probability: 0.5, riskScore: 50, riskLevel: .high, health: 7,
                                 drivers: (0, 1, 2), impacts: (impact, impact, impact), intervention: 0)
            "C\(i)".utf8CString.withUnsafeBytes { id in
                formatter.append(lineOffset: 0, id: UnsafeRawBufferPointer(rebasing: id.dropLast()), score: score)
            }
            let text = Double(impact).magnitude < 1e15 ? reference(Double(impact), decimals: 3) : String(Double(impact))
            expected += "C\(i),0.500000,50,High,7,d0,\(text),d1,\(text),d2,\(text),act\n"
        }
        XCTAssertEqual(String(decoding: formatter.finish().array, as: UTF8.self), expected)
        XCTAssertTrue(expected.contains("-3.4028234663852886e+38"), expected)
    }

    /// Risk and health scores are written from the three-digit table without leading zeros, and the
    /// risk level as one word store (the bytes stored past the text are overwritten by what follows):
    /// every score 0…255 at every level.
    func testScoresAndLevelsOfEveryWidth() throws {
        let names = ResultCSVFormatter.NameTable(drivers: [Array("d0".utf8)], actions: [Array("act".utf8)])
        var formatter = ResultCSVFormatter(names: names, capacity: 1)
        var expected = ""
        for v in 0...255 {
            for level in RiskLevel.allCases {
                let score = RowScore(probability: 0.25, riskScore: UInt8(v), riskLevel: level, health: UInt8(255 - v),
                                     drivers: (0, RowScore.noDriver, RowScore.noDriver), impacts: (Float(v), 0, 0), intervention: 0)
                "C".utf8CString.withUnsafeBytes { id in
                    formatter.append(lineOffset: 0, id: UnsafeRawBufferPointer(rebasing: id.dropLast()), score: score)
                }
                expected += "C,0.250000,\(v),\(level.name),\(255 - v),d0,\(v).000,,,,,act\n"
            }
        }
        XCTAssertEqual(String(decoding: formatter.finish().array, as: UTF8.self), expected)
    }
}
