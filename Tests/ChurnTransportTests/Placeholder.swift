import XCTest
final class ChurnTransportTestsPlaceholder: XCTestCase {}
