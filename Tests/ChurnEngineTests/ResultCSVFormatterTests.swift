@testable import ChurnEngine
import XCTest

/// The results formatter's fixed-point numbers must stay byte for byte what they were.
final class ResultCSVFormatterTests: XCTestCase {
    /// The formatting as it was before the digits were written in groups of three: one digit at a
    /// time from the remainder of the last.
    private func reference(_ value: Double, decimals: Int) -> [UInt8] {
        var out: [UInt8] = []
        var v = value
        let divisor = decimals == 6 ? 1_000_000 : 1_000
        if v < 0 {
            if Int(-v * Double(divisor) + 0.5) > 0 { out.append(0x2D) }
            v = -v
        }
        let scaled = Int(v * Double(divisor) + 0.5)
        out.append(contentsOf: String(scaled / divisor).utf8)
        out.append(0x2E)
        var fraction = scaled % divisor
        var place = divisor / 10
        while place > 0 {
            out.append(0x30 &+ UInt8(truncatingIfNeeded: fraction / place))
            fraction %= place
            place /= 10
        }
        return out
    }

    private func formatted(_ value: Double, decimals: Int) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.reserve(64)
        ResultCSVFormatter.appendFixed(value, decimals: decimals, to: &writer)
        return writer.finish().array
    }

    private func assertSame(_ value: Double, file: StaticString = #filePath, line: UInt = #line) {
        for decimals in [3, 6] {
            let got = formatted(value, decimals: decimals), want = reference(value, decimals: decimals)
            XCTAssertEqual(got, want, "\(value) with \(decimals) decimals: \(String(decoding: got, as: UTF8.self))"
                           + " instead of \(String(decoding: want, as: UTF8.self))", file: file, line: line)
        }
    }

    func testKnownValues() {
        XCTAssertEqual(String(decoding: formatted(0.5, decimals: 6), as: UTF8.self), "0.500000")
        XCTAssertEqual(String(decoding: formatted(0.0000005, decimals: 6), as: UTF8.self), "0.000001")
        XCTAssertEqual(String(decoding: formatted(0.9999995, decimals: 6), as: UTF8.self), "1.000000")
        XCTAssertEqual(String(decoding: formatted(2.0625, decimals: 3), as: UTF8.self), "2.063")
        XCTAssertEqual(String(decoding: formatted(-0.0004, decimals: 3), as: UTF8.self), "0.000")
        XCTAssertEqual(String(decoding: formatted(-0.0006, decimals: 3), as: UTF8.self), "-0.001")
        XCTAssertEqual(String(decoding: formatted(12_345.0405, decimals: 3), as: UTF8.self), "12345.041")
    }

    func testEdgeValuesMatchTheOldFormatting() {
        let values: [Double] = [0, -0.0, 1, 0.1, 0.01, 0.001, 0.000001, 0.0000004999, 0.0000005, 0.00000050001, 0.9999994999,
                                0.9999995, 0.999999, 0.123456, 0.654321, 0.0005, 0.0004999, 0.9995, 1.0005, 9.9995, 99.9995,
                                999.9995, 999.999, 1000, 1000.5, 123_456.789, -0.0000004, -0.0000005, -0.0000006, -0.0004,
                                -0.0005, -0.0006, -0.25, -1.5, .ulpOfOne, Double.leastNonzeroMagnitude]
        for v in values { assertSame(v) }
    }

    func testManyValuesMatchTheOldFormatting() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200_000 {
            assertSame(Double.random(in: 0...1, using: &generator))  // probabilities
            assertSame(Double(Float.random(in: 0...12, using: &generator)))  // driver impacts are Floats
        }
        // Every half-way point and its neighbours at both precisions.
        for k in 0..<100_000 {
            let half = (Double(k) + 0.5) / 1_000_000
            for v in [half, half.nextUp, half.nextDown, Double(k) / 1_000_000, (Double(k) + 0.5) / 1000] { assertSame(v) }
        }
    }
}
