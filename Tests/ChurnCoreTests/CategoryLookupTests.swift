import ChurnCore
import XCTest

/// The word-compare category lookup (`categoryIndex(feature:bytes:readable:)`) must find exactly
/// what the byte-compare lookup finds, for values of every length up to and past its 16 bytes.
final class CategoryLookupTests: XCTestCase {
    private func model(values: [String]) throws -> CompiledModel {
        var m = Fixtures.trainedModel
        m.categorical[0].categories = values.map { .init(value: $0, frequency: 1 / Double(values.count), coefficient: 0.1) }
        return try CompiledModel(m)
    }

    func testWordCompareFindsWhatTheByteCompareFinds() throws {
        let values = ["", "a", "ab", "east", "north", "west ", "seven77", "eight888", "nine99999", "enterprise", "mid-market",
                      "small-business", "fifteen-bytes-x", "sixteen-bytes-xy", "seventeen-bytes-x", "a much longer category value",
                      "é-accent", "nul\u{0}inside"]
        let compiled = try model(values: values)
        var probes = values
        for v in values {
            probes += [v + "x", String(v.dropLast()), "x" + v, v.uppercased(), v + "\u{0}"]
        }
        for probe in probes {
            let bytes = Array(probe.utf8)
            // The value inside a bigger buffer, followed by bytes that must not count.
            for tail in [[UInt8](repeating: 0, count: 20), [UInt8](repeating: 0x2C, count: 20), Array("xyzxyzxyzxyzxyzxyz".utf8)] {
                let buffer = bytes + tail
                buffer.withUnsafeBytes { whole in
                    let value = UnsafeRawBufferPointer(rebasing: whole[0..<bytes.count])
                    let expected = compiled.categoryIndex(feature: 0, bytes: value)
                    XCTAssertEqual(compiled.categoryIndex(feature: 0, bytes: value, readable: whole.count), expected, "'\(probe)'")
                    // Too little readable memory: falls back to the byte compare.
                    XCTAssertEqual(compiled.categoryIndex(feature: 0, bytes: value, readable: bytes.count), expected, "'\(probe)'")
                }
            }
        }
        // Every value is found at its own index.
        for (i, v) in values.enumerated() {
            let buffer = Array(v.utf8) + [UInt8](repeating: 0x41, count: 16)
            buffer.withUnsafeBytes { whole in
                let value = UnsafeRawBufferPointer(rebasing: whole[0..<v.utf8.count])
                XCTAssertEqual(compiled.categoryIndex(feature: 0, bytes: value, readable: whole.count), Int32(i), "'\(v)'")
            }
        }
    }
}
