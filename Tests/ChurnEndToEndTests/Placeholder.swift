import XCTest
final class ChurnEndToEndTestsPlaceholder: XCTestCase {}
