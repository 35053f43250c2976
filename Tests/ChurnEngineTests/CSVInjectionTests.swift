import XCTest
@testable import ChurnEngine

/// Cells a spreadsheet would run as formulas are written as text (OWASP's CSV-injection advice);
/// numbers and ordinary ids are written as they were.
final class CSVInjectionTests: XCTestCase {
    private func field(_ s: String) -> String {
        String(decoding: ResultCSVFormatter.escaped(Array(s.utf8)), as: UTF8.self)
    }

    func testFormulaCellsBecomeQuotedText() {
        XCTAssertEqual(field("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"")
        XCTAssertEqual(field("=1+2"), "\"'=1+2\"")
        XCTAssertEqual(field("+cmd|' /C calc'!A0"), "\"'+cmd|' /C calc'!A0\"")
        XCTAssertEqual(field("-2+3"), "\"'-2+3\"")
        XCTAssertEqual(field("@SUM(A1)"), "\"'@SUM(A1)\"")
        XCTAssertEqual(field("\t=1"), "\"'\t=1\"")
        XCTAssertEqual(field("\r=1"), "\"'\r=1\"")
        XCTAssertEqual(field("-"), "\"'-\"")
        XCTAssertEqual(field("+1e"), "\"'+1e\"")
    }

    func testNumbersAndOrdinaryIdsAreUnchanged() {
        for s in ["-12", "+3.5", "-0.25", "-1e5", "+2E-3", "-.5", "C00000001", "a=b", "x-1", "<img src=x onerror=alert(1)>"] {
            XCTAssertEqual(field(s), s, s)
        }
        XCTAssertEqual(field("a,b"), "\"a,b\"", "RFC 4180 quoting as before")
    }
}
