import ChurnHistoryFormat
import Foundation

/// An earlier run's High-risk ids, for exact newly-High checks over millions of ids in little
/// memory and time: the ids' bytes as the run stored them (`high_ids`: length, bytes; input order)
/// plus one 8-byte entry per id, spread over a few thousand hash buckets by a counting sort and
/// sorted within each (no hash table to grow, no allocation per id, few cache misses). An entry
/// holds 24 bits of the id's hash above the offset of its length in those bytes; a match is always
/// confirmed by comparing the bytes, so every answer is exact.
///
/// For 2.1M High ids of 9 bytes that is about 40 MB, where a hash set took about 100 MB.
struct HighIdTable {
    /// The `high_ids` blobs of the run, one after the other.
    private var arena: [UInt8] = []
    /// Entries of bucket `b` are `entries[starts[b]..<starts[b + 1]]`, sorted.
    private var starts: [UInt32] = [0, 0]
    private var entries: [UInt64] = []
    private var bucketShift: UInt64 = 63
    private static let offsetBits: UInt64 = 40
    private static let offsetMask: UInt64 = (1 << offsetBits) - 1

    /// How many ids the table holds.
    private(set) var count = 0

    init() {}

    /// Builds the table from a run's `high_ids` blobs, which `collect` passes to its argument in
    /// input order.
    /// - Parameters:
    ///   - expected: the number of ids, to size the buckets.
    ///   - bytes: the blobs' total size, reserved up front.
    init(expected: Int, bytes: Int, collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        var arena: [UInt8] = []
        arena.reserveCapacity(bytes)
        try collect { blob in arena.append(contentsOf: blob) }
        guard UInt64(arena.count) <= Self.offsetMask else {
            throw StoreError(operation: "compare High-risk customers", message: "the earlier run's High-risk ids exceed 1 TiB", path: "")
        }
        // Few enough buckets that their counters stay in the cache while ids are spread over them
        // (about a thousand ids a bucket); each bucket is then sorted, in the cache.
        var bits: UInt64 = 1
        while bits < 16 && (1 << bits) * 1024 < expected { bits += 1 }
        let shift = 64 - bits
        let buckets = 1 << Int(bits)
        var starts = [UInt32](repeating: 0, count: buckets + 1)
        let n = try starts.withUnsafeMutableBufferPointer { starts in
            try Self.forEachId(arena) { _, id in starts[Int(CustomerIndex.hash(id) >> shift) + 1] += 1 }
        }
        guard n < Int(UInt32.max) else {
            throw StoreError(operation: "compare High-risk customers", message: "the earlier run has 2^32 or more High-risk ids", path: "")
        }
        for b in 0..<buckets { starts[b + 1] += starts[b] }
        var next = starts
        var entries = [UInt64](repeating: 0, count: n)
        try entries.withUnsafeMutableBufferPointer { entries in
            try next.withUnsafeMutableBufferPointer { next in
                try Self.forEachId(arena) { offset, id in
                    let h = CustomerIndex.hash(id)
                    let b = Int(h >> shift)
                    entries[Int(next[b])] = Self.fragment(h) << Self.offsetBits | UInt64(offset)
                    next[b] += 1
                }
            }
            for b in 0..<buckets { entries[Int(starts[b])..<Int(starts[b + 1])].sort() }
        }
        self.arena = arena
        self.starts = starts
        self.entries = entries
        bucketShift = shift
        count = n
    }

    /// 24 bits of the hash below the (at most 16) that pick the bucket.
    @inline(__always)
    private static func fragment(_ h: UInt64) -> UInt64 { (h >> 24) & 0xFF_FFFF }

    /// Calls `body` with every id of `arena` and the offset of its length; returns how many.
    @discardableResult
    private static func forEachId(_ arena: [UInt8], _ body: (Int, UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        try arena.withUnsafeBytes { all in
            var s = ByteSource(all)
            var n = 0
            while !s.isAtEnd {
                let offset = s.offset
                let length = Int(try s.varint())
                try body(offset, try s.take(length))
                n += 1
            }
            return n
        }
    }

    /// Whether the id whose length starts at `offset` is `id`: the offset just past it, or nil.
    @inline(__always)
    private static func match(at offset: Int, _ id: UnsafeRawBufferPointer, in all: UnsafeRawBufferPointer) -> Int? {
        var s = ByteSource(all, offset: offset)
        guard let n = try? s.varint(), Int(n) == id.count, s.offset + id.count <= all.count else { return nil }
        if id.count > 0 && memcmp(all.baseAddress! + s.offset, id.baseAddress!, id.count) != 0 { return nil }
        return s.offset + id.count
    }

    /// Whether the table holds `id` (of hash `CustomerIndex.hash(id)`); when it does, `cursor` is set
    /// just past it in input order.
    func find(_ id: UnsafeRawBufferPointer, hash h: UInt64, cursor: inout Int) -> Bool {
        guard count > 0 else { return false }
        let want = Self.fragment(h)
        let b = Int(h >> bucketShift)
        let end = Int(starts[b + 1])
        return arena.withUnsafeBytes { all in
            entries.withUnsafeBufferPointer { entries in
                // The first entry of this fragment, by binary search in the sorted bucket.
                var lo = Int(starts[b]), hi = end
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if entries[mid] >> Self.offsetBits < want { lo = mid + 1 } else { hi = mid }
                }
                while lo < end && entries[lo] >> Self.offsetBits == want {
                    if let past = Self.match(at: Int(entries[lo] & Self.offsetMask), id, in: all) {
                        cursor = past
                        return true
                    }
                    lo += 1
                }
                return false
            }
        }
    }

    /// Whether `id` is one of the (up to) `lookahead` ids that follow `cursor` in input order; when it
    /// is, `cursor` moves just past it. Files of the same name list customers in about the same order
    /// from run to run, so this usually answers without hashing.
    func findNear(_ id: UnsafeRawBufferPointer, cursor: inout Int, lookahead: Int = 4) -> Bool {
        arena.withUnsafeBytes { all in
            var offset = cursor
            for _ in 0..<lookahead {
                guard offset < all.count else { return false }
                if let past = Self.match(at: offset, id, in: all) {
                    cursor = past
                    return true
                }
                var s = ByteSource(all, offset: offset)
                guard let n = try? s.varint() else { return false }
                offset = s.offset + Int(n)
            }
            return false
        }
    }

    /// Whether the table holds `id`.
    func contains(_ id: UnsafeRawBufferPointer, hash h: UInt64) -> Bool {
        var cursor = 0
        return find(id, hash: h, cursor: &cursor)
    }
}
