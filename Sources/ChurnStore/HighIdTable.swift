import ChurnHistoryFormat
import Foundation

/// An earlier run's High-risk ids, for exact newly-High checks over millions of ids in little
/// memory and time. Holds the ids' bytes front-coded in input order (`FrontCodedIds`) and, once a
/// lookup by hash needs it, an index: one 4-byte entry per id, spread over hash buckets by a
/// counting sort and sorted within each (no hash table to grow, no allocation per id). An entry
/// holds some bits of the id's hash above the id's number in input order; a match is always
/// confirmed by comparing the bytes, so every answer is exact.
///
/// The index is built on the first `find` (or `buildIndex()`), not with the table: a run of a file
/// in the same order as the earlier one finds every id by `findNear`, and ids it does not find that
/// way can be checked all at once by `containsEach`, one pass in order with no hashing. Hashing
/// every id twice to build the index was about 0.2–0.3 s of CPU per 2M High ids.
///
/// For 2.1M High ids like `C00012345` that is about 7 bytes an id with the index (about 15 MB),
/// 3 without; the ids' bytes as stored plus 8-byte entries took 18 (40 MB), a hash set of strings
/// about 48.
///
/// Not thread-safe: it keeps its place in the ids between calls (one thread at a time).
final class HighIdTable {
    private let ids: FrontCodedIds
    /// The hash index, once built.
    private var index: Index?

    /// Entries of bucket `b` are `entries[starts[b]..<starts[b + 1]]`, sorted.
    private struct Index {
        var starts: [UInt32]
        var entries: [UInt32]
        var bucketShift: UInt64
        /// Low bits of an entry: the id's number; high bits: the hash's bits below the bucket's.
        var ordinalBits: UInt32
    }

    /// How many ids the table holds.
    var count: Int { ids.count }

    /// Whether the hash index is built (it is at the first `find`).
    var isIndexed: Bool { index != nil }

    /// An empty table.
    init() {
        ids = FrontCodedIds()
    }

    /// Builds the table from a run's `high_ids` blobs (each id a varint length, then its bytes),
    /// which `collect` passes to its argument in input order, once. The ids are coded, not hashed:
    /// the hash index waits for the first `find`.
    /// - Parameters:
    ///   - expected: the number of ids (more is an error: the blobs are damaged).
    ///   - blobBytes: the blobs' total size (see `FrontCodedIds`).
    init(expected: Int, blobBytes: Int, collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        guard expected < Int(UInt32.max) else {
            throw StoreError(operation: "compare High-risk customers", message: "the earlier run has 2^32 or more High-risk ids", path: "")
        }
        ids = try FrontCodedIds(maxIds: expected, blobBytes: blobBytes, collect: collect)
    }

    /// Builds the hash index now (`find` does when it is first called). Each id is hashed twice:
    /// to count the ids of each bucket, then to place its entry; keeping the first hashes instead
    /// would cost 8 bytes an id at the run's peak of memory.
    func buildIndex() {
        guard index == nil else { return }
        // About 32 ids a bucket: the bucket starts cost 4 bytes per 32 ids, and a lookup compares
        // the bytes of one id in 2^(32 - ordinalBits) / 32 on average besides its own.
        let n = ids.count
        var bits: UInt64 = 1
        while bits < 24 && (1 << bits) * 32 < n { bits += 1 }
        let shift = 64 - bits
        let buckets = 1 << Int(bits)
        var starts = [UInt32](repeating: 0, count: buckets + 1)
        starts.withUnsafeMutableBufferPointer { starts in
            ids.forEach { _, id in starts[Int(CustomerIndex.hash(id) >> shift) + 1] += 1 }
        }
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
        index = Index(starts: starts, entries: entries, bucketShift: shift, ordinalBits: ordinalBits)
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
    /// just past it in input order (to its number + 1). Builds the hash index at the first call.
    func find(_ id: UnsafeRawBufferPointer, hash h: UInt64, cursor: inout Int) -> Bool {
        guard count > 0 else { return false }
        buildIndex()
        let index = self.index!
        let want = Self.fragment(h, bucketShift: index.bucketShift, ordinalBits: index.ordinalBits)
        let ordinalMask = index.ordinalBits < 32 ? (UInt32(1) << index.ordinalBits) - 1 : UInt32.max
        let b = Int(h >> index.bucketShift)
        let end = Int(index.starts[b + 1])
        return index.entries.withUnsafeBufferPointer { entries in
            // The first entry of this fragment, by binary search in the sorted bucket.
            var lo = Int(index.starts[b]), hi = end
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

    /// Which of `candidates` the table holds, in one pass over its ids in input order, without
    /// hashing them and without the index: each id is looked up among the candidates by its length
    /// and last 8 bytes (a small open-addressing table of the candidates), then compared byte for
    /// byte. Cheaper than building the index while the candidates are few.
    func containsEach(_ candidates: IdList) -> [Bool] {
        var found = [Bool](repeating: false, count: candidates.count)
        guard candidates.count > 0, count > 0 else { return found }
        var slotBits = 4
        while (1 << slotBits) < 2 * candidates.count { slotBits += 1 }
        let mask = (1 << slotBits) - 1
        // Slot: candidate number + 1 (0: empty).
        var slots = [Int32](repeating: 0, count: 1 << slotBits)
        var keys = [UInt64](repeating: 0, count: candidates.count)
        @inline(__always) func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask }
        for k in 0..<candidates.count {
            let key = candidates.withId(k) { Self.cheapKey($0) }
            keys[k] = key
            var at = slot(key)
            while slots[at] != 0 { at = (at + 1) & mask }
            slots[at] = Int32(k + 1)
        }
        ids.forEach { _, id in
            let key = Self.cheapKey(id)
            var at = slot(key)
            while slots[at] != 0 {
                let k = Int(slots[at] - 1)
                if keys[k] == key && !found[k] && candidates.withId(k, { $0.elementsEqual(id) }) { found[k] = true }
                at = (at + 1) & mask
            }
        }
        return found
    }

    /// An id's length and last (up to) 8 bytes: enough to tell most ids apart, from two loads.
    @inline(__always)
    private static func cheapKey(_ id: UnsafeRawBufferPointer) -> UInt64 {
        let n = id.count
        var tail: UInt64 = 0
        if n >= 8 {
            tail = id.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        } else {
            for i in 0..<n { tail = tail << 8 | UInt64(id[i]) }
        }
        return tail ^ (UInt64(n) &* 0xFF51_AFD7_ED55_8CCD)
    }
}
