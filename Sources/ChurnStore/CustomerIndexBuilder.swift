import ChurnHistoryFormat
import Foundation

/// Collects the index entries of one segment and lays them out bucket by bucket (a counting sort)
/// when the segment is written. Each row costs 6 bytes while the segment fills (its 4-byte entry
/// and 2-byte bucket, in two arrays) and 4 more in the sorted copy: about 8 MB for a segment of 64
/// blocks of 13k rows, where one 8-byte key a row plus the copy took 10. (Sorting the keys in place
/// instead needed no copy, but its dependent swaps cost four times the CPU.)
final class CustomerIndexBuilder {
    /// Per row, in arrival order: its entry, and its bucket.
    private var rowEntries: [UInt32] = []
    private var rowBuckets: [UInt16] = []
    /// Rows per bucket so far, counted as they arrive.
    private var counts = [Int](repeating: 0, count: CustomerIndex.bucketCount)
    /// The entries in bucket order, reused from segment to segment.
    private var sorted: [UInt32] = []

    var isEmpty: Bool { rowEntries.isEmpty }

    func add(hashes: UnsafeRawBufferPointer, rows: Int, blockInSegment: Int) {
        let start = rowEntries.count
        rowEntries.append(contentsOf: repeatElement(0, count: rows))
        rowBuckets.append(contentsOf: repeatElement(0, count: rows))
        // One access to the arrays for the whole block, not one per row.
        rowEntries.withUnsafeMutableBufferPointer { entries in
            rowBuckets.withUnsafeMutableBufferPointer { buckets in
                counts.withUnsafeMutableBufferPointer { counts in
                    for i in 0..<rows {
                        let h = UInt64(littleEndian: hashes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                        let b = CustomerIndex.bucket(h)
                        entries[start + i] = CustomerIndex.entry(h, blockInSegment: blockInSegment)
                        buckets[start + i] = UInt16(truncatingIfNeeded: b)
                        counts[b] += 1
                    }
                }
            }
        }
    }

    /// Calls `body` with each non-empty bucket's entries (u32, little-endian), then empties the builder.
    func drain(_ body: (_ bucket: Int, _ entries: UnsafeRawBufferPointer) throws -> Void) rethrows {
        defer {
            rowEntries.removeAll(keepingCapacity: true)
            rowBuckets.removeAll(keepingCapacity: true)
            for b in counts.indices { counts[b] = 0 }
        }
        let n = rowEntries.count
        if sorted.count < n { sorted = [UInt32](repeating: 0, count: n) }
        var starts = [Int](repeating: 0, count: CustomerIndex.bucketCount + 1)
        for b in 0..<CustomerIndex.bucketCount { starts[b + 1] = starts[b] + counts[b] }
        var next = starts
        rowEntries.withUnsafeBufferPointer { entries in
            rowBuckets.withUnsafeBufferPointer { buckets in
                next.withUnsafeMutableBufferPointer { next in
                    sorted.withUnsafeMutableBufferPointer { sorted in
                        for i in 0..<n {
                            let b = Int(buckets[i])
                            sorted[next[b]] = entries[i].littleEndian
                            next[b] += 1
                        }
                    }
                }
            }
        }
        try sorted.withUnsafeBytes { all in
            for b in 0..<CustomerIndex.bucketCount where starts[b + 1] > starts[b] {
                try body(b, UnsafeRawBufferPointer(rebasing: all[(4 * starts[b])..<(4 * starts[b + 1])]))
            }
        }
    }
}
