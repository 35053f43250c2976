import ChurnCore
import XCTest

final class DurationTextTests: XCTestCase {
    func testUnitsAsWrkTakesThem() {
        XCTAssertEqual(DurationText.seconds("30s"), 30)
        XCTAssertEqual(DurationText.seconds("2m"), 120)
        XCTAssertEqual(DurationText.seconds("500ms"), 0.5)
        XCTAssertEqual(DurationText.seconds("1h"), 3600)
        XCTAssertEqual(DurationText.seconds("90d"), 90 * 86_400)
        XCTAssertEqual(DurationText.seconds("1.5S"), 1.5)
    }

    func testPlainNumbersKeepTheDefaultUnit() {
        XCTAssertEqual(DurationText.seconds("10"), 10)
        XCTAssertEqual(DurationText.seconds("7", bareUnitSeconds: 86_400), 7 * 86_400)
    }

    func testRejectsWhatIsNotADuration() {
        for bad in ["", "s", "-5s", "5x", "abc", "1e400", "ten seconds", "nan", "inf"] {
            XCTAssertNil(DurationText.seconds(bad), bad)
        }
    }

    func testFormatRoundTrips() {
        for text in ["90d", "2h", "2m", "500ms", "45s", "1.5s"] {
            XCTAssertEqual(DurationText.format(DurationText.seconds(text)!), text)
        }
    }
}
