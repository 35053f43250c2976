import ChurnHistoryFormat
import Foundation
import XCTest

@testable import ChurnStore

/// The front-coded ids `HighIdTable` keeps: every id comes back byte for byte, whatever the order it
/// is asked for in, across group boundaries, for shared prefixes, empty ids and ids long enough to
/// grow the decoder's buffer.
final class FrontCodedIdsTests: XCTestCase {
    private func blob(_ ids: [[UInt8]]) -> [UInt8] {
        let sink = ByteSink()
        for id in ids {
            sink.putVarint(UInt64(id.count))
            id.withUnsafeBytes { sink.put($0) }
        }
        return Array(sink.bytes)
    }

    private func coded(_ ids: [[UInt8]], perBlob: Int = 7) throws -> FrontCodedIds {
        let blobs = stride(from: 0, to: ids.count, by: perBlob).map { blob(Array(ids[$0..<min(ids.count, $0 + perBlob)])) }
        return try FrontCodedIds(maxIds: ids.count, blobBytes: blobs.reduce(0) { $0 + $1.count }) { add in
            for b in blobs { b.withUnsafeBytes { add($0) } }
        }
    }

    private var sampleIds: [[UInt8]] {
        var ids = (0..<100).map { Array("C\(String(format: "%08d", $0 * 5))".utf8) }
        ids.insert([], at: 17)                                           // an empty id after a group start
        ids.insert(Array(String(repeating: "C0", count: 400).utf8), at: 40)  // 800 bytes sharing "C0"
        ids.insert(Array(String(repeating: "C0", count: 400).utf8) + [0x41], at: 41)  // shares all 800
        ids.insert(Array("é-ünïcode".utf8), at: 60)
        ids.insert(Array("C00000015".utf8), at: 70)                      // a repeat
        return ids
    }

    func testEveryIdComesBackInAnyOrder() throws {
        let ids = sampleIds
        let c = try coded(ids)
        XCTAssertEqual(c.count, ids.count)
        var seen: [[UInt8]] = []
        c.forEach { ordinal, id in
            XCTAssertEqual(ordinal, seen.count)
            seen.append(Array(id))
        }
        XCTAssertEqual(seen, ids)
        // Backwards, shuffled, and one after the other from each start: each decode path.
        for k in (0..<ids.count).reversed() { XCTAssertTrue(ids[k].withUnsafeBytes { c.id(k, equals: $0) }, "\(k)") }
        for k in (0..<ids.count).shuffled() { XCTAssertTrue(ids[k].withUnsafeBytes { c.id(k, equals: $0) }, "\(k)") }
        for k in 0..<ids.count { XCTAssertTrue(ids[k].withUnsafeBytes { c.id(k, equals: $0) }, "\(k)") }
    }

    func testNearMissesAreNotEqual() throws {
        let ids = sampleIds
        let c = try coded(ids)
        for k in 0..<ids.count {
            let id = ids[k]
            XCTAssertFalse((id + [0x30]).withUnsafeBytes { c.id(k, equals: $0) }, "longer \(k)")
            if !id.isEmpty {
                XCTAssertFalse(Array(id.dropLast()).withUnsafeBytes { c.id(k, equals: $0) }, "shorter \(k)")
                var changed = id
                changed[changed.count - 1] ^= 1
                XCTAssertFalse(changed.withUnsafeBytes { c.id(k, equals: $0) }, "changed \(k)")
            }
            if k > 0 && ids[k - 1] != id { XCTAssertFalse(ids[k - 1].withUnsafeBytes { c.id(k, equals: $0) }, "neighbour \(k)") }
        }
    }

    func testSequentialIdsTakeFewBytes() throws {
        // Ids that follow one another share their prefix: far less than the 10 bytes each takes as stored.
        let ids = (0..<16_000).map { Array("C\(String(format: "%08d", $0 * 5))".utf8) }
        let c = try coded(ids, perBlob: 1000)
        XCTAssertEqual(c.count, 16_000)
        XCTAssertLessThan(c.storedBytes, 16_000 * 6)
    }

    func testDamagedBlobIsAnError() {
        // A length that runs past the end of its blob.
        XCTAssertThrowsError(try FrontCodedIds(maxIds: 1, blobBytes: 3) { add in [5, 0x41, 0x42].withUnsafeBytes { add($0) } })
    }

    /// Built in one pass: `collect` is called once, `each` sees every id in order, and more ids
    /// than announced, or more bytes, are an error rather than a write past the storage.
    func testOnePassAndItsBounds() throws {
        let ids = (0..<1000).map { Array("C\(String(format: "%08d", $0 * 7))".utf8) }
        let b = blob(ids)
        var calls = 0
        var seen: [[UInt8]] = []
        let c = try FrontCodedIds(maxIds: ids.count, blobBytes: b.count, collect: { add in
            calls += 1
            b.withUnsafeBytes { add($0) }
        }, each: { seen.append(Array($0)) })
        XCTAssertEqual(calls, 1)
        XCTAssertEqual(seen, ids)
        XCTAssertEqual(c.count, ids.count)
        for k in [0, 15, 16, 999] { XCTAssertTrue(ids[k].withUnsafeBytes { c.id(k, equals: $0) }) }
        // Fewer ids than announced is fine (the count is an upper bound).
        let fewer = try FrontCodedIds(maxIds: ids.count + 40, blobBytes: b.count) { add in b.withUnsafeBytes { add($0) } }
        XCTAssertEqual(fewer.count, ids.count)
        XCTAssertTrue(ids[999].withUnsafeBytes { fewer.id(999, equals: $0) })
        XCTAssertThrowsError(try FrontCodedIds(maxIds: ids.count - 1, blobBytes: b.count) { add in b.withUnsafeBytes { add($0) } })
        // Long ids that share nothing: the coded bytes exceed a bound that is too small.
        let long = blob((0..<50).map { [UInt8](repeating: UInt8($0), count: 300) })
        XCTAssertThrowsError(try FrontCodedIds(maxIds: 50, blobBytes: 1000) { add in long.withUnsafeBytes { add($0) } })
        XCTAssertEqual(try FrontCodedIds(maxIds: 50, blobBytes: long.count) { add in long.withUnsafeBytes { add($0) } }.count, 50)
    }

    /// The shared prefix is found exactly, whichever byte two ids first differ at (inside or past
    /// the first 8-byte words compared, or not at all): the coded size is what the layout gives for
    /// that prefix, and both ids come back.
    func testTheSharedPrefixIsExactAtEveryPosition() throws {
        func header(_ shared: Int, _ rest: Int) -> Int { shared < 15 && rest < 15 ? 1 : 3 }
        for length in 1...24 {
            let first = (0..<length).map { UInt8(0x41 + $0 % 26) }
            for differ in 0...length {
                // Differs at `differ` (equal when `differ == length`).
                var second = first
                if differ < length { second[differ] = 0x30 }
                let c = try coded([first, second])
                let arena = header(0, length) + length + header(differ, length - differ) + (length - differ)
                XCTAssertEqual(c.storedBytes, arena + 4, "length \(length), first difference at \(differ)")
                XCTAssertTrue(first.withUnsafeBytes { c.id(0, equals: $0) })
                XCTAssertTrue(second.withUnsafeBytes { c.id(1, equals: $0) }, "length \(length), difference at \(differ)")
            }
        }
    }
}
