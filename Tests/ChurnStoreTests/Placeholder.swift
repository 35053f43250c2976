import XCTest
final class ChurnStoreTestsPlaceholder: XCTestCase {}
