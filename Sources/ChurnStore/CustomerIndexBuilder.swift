import ChurnHistoryFormat
import Foundation

/// Collects the index entries of one segment and lays them out bucket by bucket (a counting sort)
/// when the segment is written.
final class CustomerIndexBuilder {
    /// bucket << 32 | entry, per row, in arrival order.
    private var keys: [UInt64] = []
    private var entries: [UInt32] = []
    private var starts = [Int](repeating: 0, count: CustomerIndex.bucketCount + 1)

    var isEmpty: Bool { keys.isEmpty }

    func add(hashes: UnsafeRawBufferPointer, rows: Int, blockInSegment: Int) {
        let start = keys.count
        keys.append(contentsOf: repeatElement(0, count: rows))
        // One access to the array for the whole block, not one per row.
        keys.withUnsafeMutableBufferPointer { keys in
            for i in 0..<rows {
                let h = UInt64(littleEndian: hashes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                keys[start + i] = UInt64(CustomerIndex.bucket(h)) << 32 | UInt64(CustomerIndex.entry(h, blockInSegment: blockInSegment))
            }
        }
    }

    /// Calls `body` with each non-empty bucket's entries (u32, little-endian), then empties the builder.
    func drain(_ body: (_ bucket: Int, _ entries: UnsafeRawBufferPointer) throws -> Void) rethrows {
        defer {
            keys.removeAll(keepingCapacity: true)
        }
        if entries.count < keys.count { entries = [UInt32](repeating: 0, count: keys.count) }
        keys.withUnsafeBufferPointer { keys in
            starts.withUnsafeMutableBufferPointer { starts in
                for k in 0..<starts.count { starts[k] = 0 }
                for key in keys { starts[Int(key >> 32) + 1] += 1 }
                for b in 0..<CustomerIndex.bucketCount { starts[b + 1] += starts[b] }
                var next = Array(starts)
                entries.withUnsafeMutableBufferPointer { entries in
                    for key in keys {
                        let b = Int(key >> 32)
                        entries[next[b]] = UInt32(truncatingIfNeeded: key).littleEndian
                        next[b] += 1
                    }
                }
            }
        }
        try entries.withUnsafeBytes { all in
            for b in 0..<CustomerIndex.bucketCount where starts[b + 1] > starts[b] {
                try body(b, UnsafeRawBufferPointer(rebasing: all[(4 * starts[b])..<(4 * starts[b + 1])]))
            }
        }
    }
}
