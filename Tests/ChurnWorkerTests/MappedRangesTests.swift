@testable import ChurnWorker
import Foundation
import XCTest

/// Mapped shard ranges of a file cut while they are read: the SIGBUS handler puts zeros where the
/// pages were, the process lives on, and the read is reported as cut.
final class MappedRangesTests: XCTestCase {
    private var path = ""
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    override func setUpWithError() throws {
        path = NSTemporaryDirectory() + "mapped-\(UUID().uuidString).csv"
        try Data(repeating: UInt8(ascii: "a"), count: 16 * pageSize).write(to: URL(fileURLWithPath: path))
        MappedRanges.install()
    }

    override func tearDown() {
        unlink(path)
    }

    func testARangeReadWhileTheFileStaysIsNotCut() throws {
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        let r = try XCTUnwrap(MappedRanges.withMapping(fd: fd, offset: 100, length: 10 * pageSize) { bytes in
            bytes.reduce(0) { $0 + Int($1) }
        })
        XCTAssertFalse(r.cut)
        XCTAssertEqual(r.value, 10 * pageSize * Int(UInt8(ascii: "a")))
    }

    func testAFileCutWhileMappedReadsZerosAndIsReportedCut() throws {
        let fd = open(path, O_RDONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        // The range starts mid-page (offset 100) and ends past the new end of the file.
        let r = try XCTUnwrap(MappedRanges.withMapping(fd: fd, offset: 100, length: 12 * pageSize) { bytes -> (first: UInt8, late: [UInt8]) in
            XCTAssertEqual(truncate(path, off_t(2 * pageSize)), 0)
            // Past the new end: without the handler this access ends the process with SIGBUS.
            let late = [bytes[5 * pageSize], bytes[11 * pageSize], bytes[12 * pageSize - 1]]
            return (bytes[0], late)
        })
        XCTAssertTrue(r.cut)
        XCTAssertEqual(r.value.first, UInt8(ascii: "a"))
        XCTAssertEqual(r.value.late, [0, 0, 0])

        // The next range, with the file as it is now, is read normally.
        let next = try XCTUnwrap(MappedRanges.withMapping(fd: fd, offset: 0, length: pageSize) { $0.allSatisfy { $0 == UInt8(ascii: "a") } })
        XCTAssertFalse(next.cut)
        XCTAssertTrue(next.value)
    }
}
