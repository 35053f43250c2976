import ChurnHistoryFormat
import Foundation

/// Collects the index entries of one segment bucket by bucket as rows arrive, in pages of 256
/// entries (1 KiB) that each bucket chains, so that a segment's entries are already grouped when
/// it is written. About 4 bytes a row plus half a page per bucket: about 4 MB for a segment of 64
/// blocks of 13k rows. (Kept in arrival order and laid out by a counting sort when written, it
/// took 6 bytes a row plus a sorted copy of 4: about 8 MB.) Pages are reused from segment to segment.
final class CustomerIndexBuilder {
    private static let pageEntries = 256
    /// Per bucket: its full pages, in order, and the page being filled with its count.
    private var fullPages = [[UnsafeMutablePointer<UInt32>]](repeating: [], count: CustomerIndex.bucketCount)
    private var currentPage = [UnsafeMutablePointer<UInt32>?](repeating: nil, count: CustomerIndex.bucketCount)
    private var currentCount = [Int](repeating: 0, count: CustomerIndex.bucketCount)
    /// Pages of earlier segments, for reuse.
    private var spare: [UnsafeMutablePointer<UInt32>] = []
    /// A bucket's entries in one piece, when they span pages.
    private var joined: [UInt32] = []
    private var rowCount = 0

    var isEmpty: Bool { rowCount == 0 }

    deinit {
        for b in 0..<CustomerIndex.bucketCount {
            for p in fullPages[b] { p.deallocate() }
            currentPage[b]?.deallocate()
        }
        for p in spare { p.deallocate() }
    }

    func add(hashes: UnsafeRawBufferPointer, rows: Int, blockInSegment: Int) {
        rowCount += rows
        // One access to the arrays for the whole block, not one per row.
        currentPage.withUnsafeMutableBufferPointer { current in
            currentCount.withUnsafeMutableBufferPointer { counts in
                for i in 0..<rows {
                    let h = UInt64(littleEndian: hashes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                    let b = CustomerIndex.bucket(h)
                    var page = current[b]
                    if page == nil || counts[b] == Self.pageEntries {
                        if let full = page { fullPages[b].append(full) }
                        page = spare.popLast() ?? .allocate(capacity: Self.pageEntries)
                        current[b] = page
                        counts[b] = 0
                    }
                    page![counts[b]] = CustomerIndex.entry(h, blockInSegment: blockInSegment).littleEndian
                    counts[b] += 1
                }
            }
        }
    }

    /// Calls `body` with each non-empty bucket's entries (u32, little-endian), in arrival order
    /// within the bucket, then empties the builder.
    func drain(_ body: (_ bucket: Int, _ entries: UnsafeRawBufferPointer) throws -> Void) rethrows {
        defer {
            for b in 0..<CustomerIndex.bucketCount {
                spare.append(contentsOf: fullPages[b])
                fullPages[b].removeAll(keepingCapacity: true)
                if let p = currentPage[b] { spare.append(p) }
                currentPage[b] = nil
                currentCount[b] = 0
            }
            rowCount = 0
        }
        for b in 0..<CustomerIndex.bucketCount {
            guard let last = currentPage[b] else { continue }
            let lastCount = currentCount[b]
            if fullPages[b].isEmpty {
                try body(b, UnsafeRawBufferPointer(start: last, count: 4 * lastCount))
                continue
            }
            joined.removeAll(keepingCapacity: true)
            for p in fullPages[b] { joined.append(contentsOf: UnsafeBufferPointer(start: p, count: Self.pageEntries)) }
            joined.append(contentsOf: UnsafeBufferPointer(start: last, count: lastCount))
            try joined.withUnsafeBytes { try body(b, $0) }
        }
    }
}
