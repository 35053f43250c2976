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
    /// Per bucket, the page being filled (nil: none yet) and its entries: raw memory, so that a
    /// row costs a load, a compare and two stores, without an array's checks (about 5 ns a row
    /// instead of 7–9 with arrays, in a loop of 10M random hashes). A bucket without a page counts
    /// as full, so its first row takes the same test as a full page's next one.
    private let currentPage = UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>.allocate(capacity: CustomerIndex.bucketCount)
    private let currentCount = UnsafeMutablePointer<Int>.allocate(capacity: CustomerIndex.bucketCount)
    /// Pages of earlier segments, for reuse.
    private var spare: [UnsafeMutablePointer<UInt32>] = []
    /// A bucket's entries in one piece, when they span pages.
    private var joined: [UInt32] = []
    private var rowCount = 0

    var isEmpty: Bool { rowCount == 0 }

    init() {
        currentPage.initialize(repeating: nil, count: CustomerIndex.bucketCount)
        currentCount.initialize(repeating: Self.pageEntries, count: CustomerIndex.bucketCount)
    }

    deinit {
        for b in 0..<CustomerIndex.bucketCount {
            for p in fullPages[b] { p.deallocate() }
            currentPage[b]?.deallocate()
        }
        for p in spare { p.deallocate() }
        currentPage.deallocate()
        currentCount.deallocate()
    }

    func add(hashes: UnsafeRawBufferPointer, rows: Int, blockInSegment: Int) {
        rowCount += rows
        let current = currentPage, counts = currentCount
        for i in 0..<rows {
            let h = UInt64(littleEndian: hashes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            let b = CustomerIndex.bucket(h)
            var c = counts[b]
            if c == Self.pageEntries {
                newPage(bucket: b)
                c = 0
            }
            current[b].unsafelyUnwrapped[c] = CustomerIndex.entry(h, blockInSegment: blockInSegment).littleEndian
            counts[b] = c + 1
        }
    }

    /// Files bucket `b`'s full page (if any) and gives it an empty one.
    @inline(never)
    private func newPage(bucket b: Int) {
        if let full = currentPage[b] { fullPages[b].append(full) }
        currentPage[b] = spare.popLast() ?? .allocate(capacity: Self.pageEntries)
        currentCount[b] = 0
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
                currentCount[b] = Self.pageEntries
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
