import ChurnHistoryFormat
import Foundation

/// Collects the index entries of one segment, bucket by bucket.
final class CustomerIndexBuilder {
    private(set) var buckets: [ByteSink]
    private(set) var isEmpty = true

    init() {
        buckets = (0..<CustomerIndex.bucketCount).map { _ in ByteSink(capacity: 256) }
    }

    @inline(__always)
    func add(hash h: UInt64, blockInSegment: Int) {
        buckets[CustomerIndex.bucket(h)].putUInt32(CustomerIndex.entry(h, blockInSegment: blockInSegment))
        isEmpty = false
    }

    func reset() {
        for b in buckets { b.removeAll() }
        isEmpty = true
    }
}
