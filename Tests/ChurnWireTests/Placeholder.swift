import XCTest
final class ChurnWireTestsPlaceholder: XCTestCase {}
