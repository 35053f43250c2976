import ChurnHistoryFormat
import Foundation

/// Collects the index entries of one segment and lays them out bucket by bucket when the segment
/// is written: 8 bytes a row while the segment fills (about 6.6 MB for 64 blocks of 13k rows),
/// sorted into buckets in place and packed to their 4-byte entries in the same memory, so a
/// segment needs no second array. Entries keep no particular order within a bucket (readers scan
/// a bucket's entries whole).
final class CustomerIndexBuilder {
    /// bucket << 32 | entry, per row, in arrival order until `drain` sorts them.
    private var keys: [UInt64] = []
    /// Rows per bucket so far, counted as they arrive.
    private var counts = [Int](repeating: 0, count: CustomerIndex.bucketCount)

    var isEmpty: Bool { keys.isEmpty }

    func add(hashes: UnsafeRawBufferPointer, rows: Int, blockInSegment: Int) {
        let start = keys.count
        keys.append(contentsOf: repeatElement(0, count: rows))
        // One access to the array for the whole block, not one per row.
        keys.withUnsafeMutableBufferPointer { keys in
            counts.withUnsafeMutableBufferPointer { counts in
                for i in 0..<rows {
                    let h = UInt64(littleEndian: hashes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    let b = CustomerIndex.bucket(h)
                    keys[start + i] = UInt64(b) << 32 | UInt64(CustomerIndex.entry(h, blockInSegment: blockInSegment))
                    counts[b] += 1
                }
            }
        }
    }

    /// Calls `body` with each non-empty bucket's entries (u32, little-endian), then empties the builder.
    func drain(_ body: (_ bucket: Int, _ entries: UnsafeRawBufferPointer) throws -> Void) rethrows {
        defer {
            keys.removeAll(keepingCapacity: true)
            for b in counts.indices { counts[b] = 0 }
        }
        var starts = [Int](repeating: 0, count: CustomerIndex.bucketCount + 1)
        for b in 0..<CustomerIndex.bucketCount { starts[b + 1] = starts[b] + counts[b] }
        let n = keys.count
        try keys.withUnsafeMutableBufferPointer { keys in
            // Into buckets in place (an American flag sort's one pass): each key is swapped
            // straight to the next free slot of its bucket.
            var next = Array(starts.dropLast())
            next.withUnsafeMutableBufferPointer { next in
                for b in 0..<CustomerIndex.bucketCount {
                    let end = starts[b + 1]
                    while next[b] < end {
                        let key = keys[next[b]]
                        let home = Int(key >> 32)
                        if home == b {
                            next[b] += 1
                        } else {
                            keys.swapAt(next[b], next[home])
                            next[home] += 1
                        }
                    }
                }
            }
            // Packed to u32 entries at the front of the same memory: entry i goes to bytes 4i..<4i+4,
            // which only key i/2 (already read) occupied.
            let raw = UnsafeMutableRawBufferPointer(keys)
            for i in 0..<n {
                let key = raw.load(fromByteOffset: 8 * i, as: UInt64.self)
                raw.storeBytes(of: UInt32(truncatingIfNeeded: key).littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
            let entries = UnsafeRawBufferPointer(raw)
            for b in 0..<CustomerIndex.bucketCount where starts[b + 1] > starts[b] {
                try body(b, UnsafeRawBufferPointer(rebasing: entries[(4 * starts[b])..<(4 * starts[b + 1])]))
            }
        }
    }
}
