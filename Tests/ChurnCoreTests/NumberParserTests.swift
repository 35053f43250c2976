@testable import ChurnCore
import XCTest

/// The plain-decimal fast path must give the very Double the full parser gives, for every input.
final class NumberParserTests: XCTestCase {
    private func fast(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBytes { NumberParser.plainDecimal($0) }
    }

    private func general(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBytes { NumberParser.parseGeneral($0) }
    }

    private func parsed(_ text: String) -> Double? {
        Array(text.utf8).withUnsafeBytes { NumberParser.parse($0) }
    }

    /// Same value to the last bit (and the same sign of zero), or both nil.
    private func assertSame(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let a = parsed(text), b = general(text)
        XCTAssertEqual(a?.bitPattern, b?.bitPattern, "\(text): \(String(describing: a)) vs \(String(describing: b))",
                       file: file, line: line)
        if let f = fast(text) {
            XCTAssertEqual(f.bitPattern, b?.bitPattern, "fast path on \(text)", file: file, line: line)
            // An independent oracle: Swift's own correctly rounded conversion.
            XCTAssertEqual(f.bitPattern, Double(text)?.bitPattern, "Double(\(text))", file: file, line: line)
        }
    }

    func testFastPathTakesPlainDecimalsOnly() {
        for text in ["0", "7", "20.0", "577.41", "5.", ".5", "007", "0.000123", "123456789012345", "1234567.8901234"] {
            XCTAssertNotNil(fast(text), text)
        }
        // Left to the full parser: signs, spaces, exponents, more than 15 bytes, two dots, no digit.
        for text in ["", ".", "-1", "+1", " 1", "1 ", "\t1", "1e3", "1E-2", "1234567890123456", "0.12345678901234567",
                     "1.2.3", "..", "1,5", "abc", "1-", "nan", "inf", "0x10", "٣"] {
            XCTAssertNil(fast(text), text)
        }
    }

    func testEdgeCasesAgreeWithTheFullParser() {
        let cases = ["0", "-0", "+0", "0.0", "-0.0", "00", "000.000", "0.", ".0", ".", "", " ", "  42 ", "\t3.5\t", "5.", ".5",
                     "1", "9", "10", "99.99", "0.1", "0.2", "0.3", "0.7", "1.1", "2.675", "1.005", "0.125", "100.015",
                     "9007199254740991", "9007199254740992", "900719925474099.3", "999999999999999", "99999999999999.9",
                     "0.99999999999999", "1.00000000000001", "123456789012345", "1234567890123456", "12345678901234567890",
                     "0.000000000000001", "0.0000000000000001", "1e3", "1E3", "1e-3", "-1e+3", "1.5e22", "1e23", "1e-22",
                     "1e999", "-1e999", "1e-999", "+7", "-7", "--7", "+-7", "7-", "1.2.3", "1..2", "1,5", "0x1A", "nan",
                     "inf", "-inf", "abc", "1e", "1e+", "e5", ".e5", "3.14159265358979323846", "00000000000000001",
                     "577.41", "3040.75", "136.4", "16.9", "-12.25", "-0.000001"]
        for text in cases { assertSame(text) }
    }

    func testManyGeneratedDecimalsAgreeWithTheFullParser() {
        var generator = SystemRandomNumberGenerator()
        var fastHits = 0
        for _ in 0..<200_000 {
            let digits = Int.random(in: 1...17, using: &generator)
            var text = ""
            for _ in 0..<digits { text.append(Character(Unicode.Scalar(UInt8(0x30 + Int.random(in: 0...9, using: &generator))))) }
            switch Int.random(in: 0..<8, using: &generator) {
            case 0: break
            case 1: text = "-" + text
            case 2: text += "e\(Int.random(in: -30...30, using: &generator))"
            default:
                let at = text.index(text.startIndex, offsetBy: Int.random(in: 0...digits, using: &generator))
                text.insert(".", at: at)
            }
            if fast(text) != nil { fastHits += 1 }
            assertSame(text)
        }
        // The fast path was exercised, not bypassed.
        XCTAssertGreaterThan(fastHits, 50_000)
    }

    func testEveryShortDecimalAgreesWithTheFullParser() {
        // Every value 0.000 … 99.999 written with 0–3 decimals, as the sample data writes them.
        for whole in 0..<100 {
            for fraction in 0..<1000 {
                assertSame("\(whole).\(String(fraction).leftPad(3))")
                if fraction % 10 == 0 { assertSame("\(whole).\(String(fraction / 10).leftPad(2))") }
                if fraction % 100 == 0 { assertSame("\(whole).\(fraction / 100)") }
            }
            assertSame("\(whole)")
        }
    }
}

private extension String {
    func leftPad(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
