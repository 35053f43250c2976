import XCTest
final class ChurnIOTestsPlaceholder: XCTestCase {}
