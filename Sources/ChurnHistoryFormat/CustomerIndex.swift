import Foundation

/// The per-run customer index (schema 2): finds the blocks that hold a customer id without an
/// index row per prediction.
///
/// Each id is hashed (`hash`); the top `bucketBits` bits pick one of `bucketCount` buckets. A run's
/// blocks are grouped in segments of `blocksPerSegment`; for each segment and bucket one
/// `customer_index` row holds a BLOB of u32 entries, one per row: the next 24 bits of the hash
/// above the number of the row's block within the segment (8 bits). Looking an id up reads one
/// BLOB per segment of each run and decodes only the blocks whose entries match, where the id
/// itself is compared. 4 bytes a prediction; the hash and the layout are persisted, never change them.
package enum CustomerIndex {
    package static let bucketBits = 10
    package static let bucketCount = 1 << bucketBits
    package static let blocksPerSegment = 64

    /// FNV-1a 64 of the bytes, finished with SplitMix64's mixer so that the top bits are well spread.
    @inline(__always)
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= h >> 30
        h = h &* 0xbf58_476d_1ce4_e5b9
        h ^= h >> 27
        h = h &* 0x94d0_49bb_1331_11eb
        h ^= h >> 31
        return h
    }

    package static func hash(_ text: String) -> UInt64 {
        var s = text
        return s.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    @inline(__always) package static func bucket(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h >> UInt64(64 - bucketBits)) }

    @inline(__always) package static func fragment(_ h: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (h >> UInt64(40 - bucketBits)) & 0xFF_FFFF)
    }

    @inline(__always) package static func entry(_ h: UInt64, blockInSegment: Int) -> UInt32 {
        fragment(h) << 8 | UInt32(truncatingIfNeeded: blockInSegment)
    }

    /// The blocks (numbers within the run) of a segment's entries that may hold an id of hash `h`.
    package static func candidateBlocks(_ entries: UnsafeRawBufferPointer, segment: Int, hash h: UInt64) -> Set<Int> {
        let want = fragment(h)
        var blocks = Set<Int>()
        var i = 0
        while i + 4 <= entries.count {
            let e = UInt32(littleEndian: entries.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            if e >> 8 == want { blocks.insert(segment * blocksPerSegment + Int(e & 0xFF)) }
            i += 4
        }
        return blocks
    }
}

/// A set of ids (byte strings) keyed by their `CustomerIndex.hash`, for newly-High comparisons
/// over millions of ids: open addressing, ids kept in one arena. Reading it from several threads at
/// once is safe while nobody inserts.
package struct IdSet: @unchecked Sendable {
    private var hashes: [UInt64]
    private var slots: [Int32]
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    package private(set) var count = 0

    package init(capacity: Int = 1024) {
        var size = 1024
        while size < capacity * 2 { size <<= 1 }
        hashes = [UInt64](repeating: 0, count: size)
        slots = [Int32](repeating: -1, count: size)
    }

    /// Whether the set holds `id`.
    package func contains(_ id: UnsafeRawBufferPointer, hash h: UInt64) -> Bool {
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            if hashes[i] == h && equals(Int(slots[i]), id) { return true }
            i = (i + 1) & mask
        }
        return false
    }

    /// Adds `id`; false when it was there already.
    @discardableResult
    package mutating func insert(_ id: UnsafeRawBufferPointer, hash h: UInt64) -> Bool {
        if (count + 1) * 2 > hashes.count { grow() }
        let mask = hashes.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 {
            if hashes[i] == h && equals(Int(slots[i]), id) { return false }
            i = (i + 1) & mask
        }
        hashes[i] = h
        slots[i] = Int32(count)
        arena.append(contentsOf: id)
        starts.append(arena.count)
        count += 1
        return true
    }

    private func equals(_ k: Int, _ id: UnsafeRawBufferPointer) -> Bool {
        let start = starts[k], end = starts[k + 1]
        guard end - start == id.count else { return false }
        guard id.count > 0 else { return true }
        return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, id.baseAddress!, id.count) == 0 }
    }

    private mutating func grow() {
        let old = (hashes, slots)
        hashes = [UInt64](repeating: 0, count: old.0.count * 2)
        slots = [Int32](repeating: -1, count: old.0.count * 2)
        let mask = hashes.count - 1
        for j in 0..<old.0.count where old.1[j] >= 0 {
            var i = Int(truncatingIfNeeded: old.0[j]) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            hashes[i] = old.0[j]
            slots[i] = old.1[j]
        }
    }
}
