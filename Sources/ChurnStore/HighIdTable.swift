import ChurnHistoryFormat
import Foundation

/// An earlier run's High-risk ids, for exact newly-High checks over millions of ids in little
/// memory and time. Holds the ids' bytes front-coded in input order (`FrontCodedIds`) plus one
/// 4-byte entry per id, spread over hash buckets by a counting sort and sorted within each (no hash
/// table to grow, no allocation per id). An entry holds some bits of the id's hash above the id's
/// number in input order; a match is always confirmed by comparing the bytes, so every answer is
/// exact.
///
/// For 2.1M High ids like `C00012345` that is about 7 bytes an id (about 15 MB); the ids' bytes as
/// stored plus 8-byte entries took 18 (40 MB), a hash set of strings about 48.
///
/// Not thread-safe: it keeps its place in the ids between calls (one thread at a time).
final class HighIdTable {
    private let ids: FrontCodedIds
    /// Entries of bucket `b` are `entries[starts[b]..<starts[b + 1]]`, sorted.
    private let starts: [UInt32]
    private let entries: [UInt32]
    private let bucketShift: UInt64
    /// Low bits of an entry: the id's number; high bits: the hash's bits below the bucket's.
    private let ordinalBits: UInt32

    /// How many ids the table holds.
    var count: Int { ids.count }

    /// An empty table.
    init() {
        ids = FrontCodedIds()
        starts = [0, 0]
        entries = []
        bucketShift = 63
        ordinalBits = 1
    }

    /// Builds the table from a run's `high_ids` blobs (each id a varint length, then its bytes),
    /// which `collect` passes to its argument in input order, once. Each id is hashed twice: while
    /// it is coded (to count the ids of each bucket) and once all are in (to place its entry);
    /// keeping the first hashes instead would cost 8 bytes an id at the run's peak of memory.
    /// - Parameters:
    ///   - expected: the number of ids (more is an error: the blobs are damaged).
    ///   - blobBytes: the blobs' total size (see `FrontCodedIds`).
    init(expected: Int, blobBytes: Int, collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        guard expected < Int(UInt32.max) else {
            throw StoreError(operation: "compare High-risk customers", message: "the earlier run has 2^32 or more High-risk ids", path: "")
        }
        // About 32 ids a bucket: the bucket starts cost 4 bytes per 32 ids, and a lookup compares
        // the bytes of one id in 2^(32 - ordinalBits) / 32 on average besides its own.
        var bits: UInt64 = 1
        while bits < 24 && (1 << bits) * 32 < expected { bits += 1 }
        let shift = 64 - bits
        let buckets = 1 << Int(bits)
        var starts = [UInt32](repeating: 0, count: buckets + 1)
        let ids = try starts.withUnsafeMutableBufferPointer { starts in
            try FrontCodedIds(maxIds: expected, blobBytes: blobBytes, collect: collect) { id in
                starts[Int(CustomerIndex.hash(id) >> shift) + 1] += 1
            }
        }
        let n = ids.count
        var ordinalBits: UInt32 = 1
        while ordinalBits < 32 && (1 << ordinalBits) < n { ordinalBits += 1 }
        for b in 0..<buckets { starts[b + 1] += starts[b] }
        var entries = [UInt32](repeating: 0, count: n)
        var next = starts
        entries.withUnsafeMutableBufferPointer { entries in
            next.withUnsafeMutableBufferPointer { next in
                ids.forEach { ordinal, id in
                    let h = CustomerIndex.hash(id)
                    let b = Int(h >> shift)
                    entries[Int(next[b])] = Self.fragment(h, bucketShift: shift, ordinalBits: ordinalBits) | UInt32(ordinal)
                    next[b] += 1
                }
            }
            for b in 0..<buckets { entries[Int(starts[b])..<Int(starts[b + 1])].sort() }
        }
        self.ids = ids
        self.starts = starts
        self.entries = entries
        bucketShift = shift
        self.ordinalBits = ordinalBits
    }

    /// The hash's bits just below the bucket's, shifted above an entry's ordinal (none when the
    /// ordinal takes all 32 bits).
    @inline(__always)
    private static func fragment(_ h: UInt64, bucketShift: UInt64, ordinalBits: UInt32) -> UInt32 {
        guard ordinalBits < 32 else { return 0 }
        let below = h << (64 - bucketShift)  // the bucket's bits shifted out
        return UInt32(truncatingIfNeeded: below >> (32 + UInt64(ordinalBits))) << ordinalBits
    }

    /// Whether the table holds `id` (of hash `CustomerIndex.hash(id)`); when it does, `cursor` is set
    /// just past it in input order (to its number + 1).
    func find(_ id: UnsafeRawBufferPointer, hash h: UInt64, cursor: inout Int) -> Bool {
        guard count > 0 else { return false }
        let want = Self.fragment(h, bucketShift: bucketShift, ordinalBits: ordinalBits)
        let ordinalMask = ordinalBits < 32 ? (UInt32(1) << ordinalBits) - 1 : UInt32.max
        let b = Int(h >> bucketShift)
        let end = Int(starts[b + 1])
        return entries.withUnsafeBufferPointer { entries in
            // The first entry of this fragment, by binary search in the sorted bucket.
            var lo = Int(starts[b]), hi = end
            while lo < hi {
                let mid = (lo + hi) / 2
                if entries[mid] & ~ordinalMask < want { lo = mid + 1 } else { hi = mid }
            }
            while lo < end && entries[lo] & ~ordinalMask == want {
                let ordinal = Int(entries[lo] & ordinalMask)
                if ids.id(ordinal, equals: id) {
                    cursor = ordinal + 1
                    return true
                }
                lo += 1
            }
            return false
        }
    }

    /// Whether `id` is one of the (up to) `lookahead` ids that follow `cursor` in input order; when it
    /// is, `cursor` moves just past it. Files of the same name list customers in about the same order
    /// from run to run, so this usually answers without hashing.
    func findNear(_ id: UnsafeRawBufferPointer, cursor: inout Int, lookahead: Int = 4) -> Bool {
        guard cursor >= 0 else { return false }
        for ordinal in cursor..<min(count, cursor + lookahead) where ids.id(ordinal, equals: id) {
            cursor = ordinal + 1
            return true
        }
        return false
    }

    /// Whether the table holds `id`.
    func contains(_ id: UnsafeRawBufferPointer, hash h: UInt64) -> Bool {
        var cursor = 0
        return find(id, hash: h, cursor: &cursor)
    }
}
