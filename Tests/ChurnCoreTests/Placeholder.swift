import XCTest
final class ChurnCoreTestsPlaceholder: XCTestCase {}
