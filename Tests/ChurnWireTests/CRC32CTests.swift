import CCRC32C
import ChurnWire
import XCTest

final class CRC32CTests: XCTestCase {
    func testStandardVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        // RFC 3720 (iSCSI) B.4 vectors.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
    }

    func testSoftwareVector() {
        let data = Array("123456789".utf8)
        XCTAssertEqual(data.withUnsafeBytes { churn_crc32c_software(0, $0.baseAddress, $0.count) }, 0xE306_9283)
        XCTAssertEqual(data.withUnsafeBytes { churn_crc32c_hardware(0, $0.baseAddress, $0.count) }, 0xE306_9283)
    }

    func testHardwareEqualsSoftwareAtEveryAlignmentAndLength() {
        var rng = SplitMix64(seed: 42)
        let data = (0..<(3 * 8192 * 2 + 3 * 256 + 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let lengths = Array(0..<600) + [767, 768, 769, 3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 3 * 8192 + 3 * 256 + 7, data.count - 8]
        data.withUnsafeBytes { b in
            for offset in 0..<8 {
                for length in lengths where offset + length <= b.count {
                    let p = b.baseAddress! + offset
                    let hw = churn_crc32c_hardware(0x1234_5678, p, length)
                    let sw = churn_crc32c_software(0x1234_5678, p, length)
                    if hw != sw { XCTFail("offset \(offset) length \(length): hw \(hw) sw \(sw)"); return }
                }
            }
        }
    }

    func testChaining() {
        let a = Array("12345".utf8), b = Array("6789".utf8)
        XCTAssertEqual(CRC32C.checksum(b, continuing: CRC32C.checksum(a)), 0xE306_9283)
    }

    func testReportsHardware() {
        // Informational: the build machines have SSE4.2.
        print("CRC32C uses hardware: \(CRC32C.usesHardware)")
    }
}

/// A small deterministic generator for tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
