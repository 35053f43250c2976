import ChurnHistoryFormat
import Foundation
import XCTest

@testable import ChurnStore

/// The index builder groups a segment's entries by bucket: every row's entry comes out once, in its
/// hash's bucket, and the builder is empty and reusable afterwards.
final class CustomerIndexBuilderTests: XCTestCase {
    private func hashes(_ ids: [String]) -> [UInt8] {
        let sink = ByteSink()
        for id in ids { sink.putUInt64(CustomerIndex.hash(id)) }
        return Array(sink.bytes)
    }

    private func drained(_ builder: CustomerIndexBuilder) -> [Int: [UInt32]] {
        var out: [Int: [UInt32]] = [:]
        builder.drain { bucket, entries in
            XCTAssertNil(out[bucket], "bucket \(bucket) twice")
            XCTAssertEqual(entries.count % 4, 0)
            out[bucket] = stride(from: 0, to: entries.count, by: 4).map {
                UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: $0, as: UInt32.self))
            }
        }
        return out
    }

    func testEveryRowLandsOnceInItsBucket() {
        let builder = CustomerIndexBuilder()
        var expected: [Int: [UInt32]] = [:]
        for round in 0..<2 {
            // Blocks of different sizes, so buckets fill unevenly; the second round reuses the memory.
            for block in 0..<5 {
                let ids = (0..<(3000 + 977 * block)).map { "R\(round)-B\(block)-\($0 * 13)" }
                let bytes = hashes(ids)
                bytes.withUnsafeBytes { builder.add(hashes: $0, rows: ids.count, blockInSegment: block) }
                for id in ids {
                    let h = CustomerIndex.hash(id)
                    expected[CustomerIndex.bucket(h), default: []].append(CustomerIndex.entry(h, blockInSegment: block))
                }
            }
            XCTAssertFalse(builder.isEmpty)
            let got = drained(builder)
            XCTAssertTrue(builder.isEmpty)
            XCTAssertEqual(Set(got.keys), Set(expected.keys))
            for (bucket, entries) in expected { XCTAssertEqual(got[bucket]?.sorted(), entries.sorted(), "bucket \(bucket)") }
            XCTAssertEqual(got.values.reduce(0) { $0 + $1.count }, expected.values.reduce(0) { $0 + $1.count })
            expected = [:]
        }
        XCTAssertTrue(drained(builder).isEmpty, "an empty builder writes nothing")
    }

    /// Buckets of more than one page (256 entries): every entry comes back, in arrival order, and
    /// the pages serve the next segment.
    func testBucketsSpanningPagesKeepArrivalOrder() {
        let builder = CustomerIndexBuilder()
        for round in 0..<2 {
            var expected: [Int: [UInt32]] = [:]
            // About 390 (first round) and 780 (second) entries a bucket.
            for block in 0..<(4 * (round + 1)) {
                let ids = (0..<100_000).map { "S\(round)-\(block)-\($0)" }
                hashes(ids).withUnsafeBytes { builder.add(hashes: $0, rows: ids.count, blockInSegment: block) }
                for id in ids {
                    let h = CustomerIndex.hash(id)
                    expected[CustomerIndex.bucket(h), default: []].append(CustomerIndex.entry(h, blockInSegment: block))
                }
            }
            XCTAssertGreaterThan(expected.values.map(\.count).min() ?? 0, 256)
            let got = drained(builder)
            XCTAssertEqual(got, expected, "round \(round)")
            XCTAssertTrue(builder.isEmpty)
        }
    }

    /// A bucket whose page is exactly full when the segment is written (256 and 512 entries): its
    /// entries all come back, and the next segment's first row in that bucket starts a new page.
    func testABucketExactlyFullAtTheEndOfASegment() {
        let builder = CustomerIndexBuilder()
        var inBucket: [String] = []
        var k = 0
        while inBucket.count < 1024 + 3 {
            let id = "X\(k)"
            if CustomerIndex.bucket(CustomerIndex.hash(id)) == 5 { inBucket.append(id) }
            k += 1
        }
        var start = 0
        for (segment, count) in [256, 512, 3, 256].enumerated() {
            let ids = Array(inBucket[start..<(start + count)])
            start += count
            hashes(ids).withUnsafeBytes { builder.add(hashes: $0, rows: ids.count, blockInSegment: segment) }
            let expected = ids.map { CustomerIndex.entry(CustomerIndex.hash($0), blockInSegment: segment) }
            XCTAssertEqual(drained(builder), [5: expected], "segment \(segment), \(count) entries")
            XCTAssertTrue(builder.isEmpty)
        }
    }
}
