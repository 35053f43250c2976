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

    /// The bytes read 8 at a time (little-endian, the tail zero-padded), each word mixed in with a
    /// multiply and rotate, the length folded in, then SplitMix64's finaliser so that the top bits
    /// are well spread.
    @inline(__always)
    package static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = ((h ^ w) &* 0xff51_afd7_ed55_8ccd)
            h = (h << 31) | (h >> 33)
            i += 8
        }
        if i < n {
            var w: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                w |= UInt64(bytes[i]) << shift
                shift += 8
                i += 1
            }
            h = ((h ^ w) &* 0xc4ce_b9fe_1a85_ec53)
            h = (h << 31) | (h >> 33)
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
/// over millions of ids: open addressing, ids kept in one arena in insertion order, so that a
/// caller walking ids in about the same order can check them against the neighbours of the last
/// match (`equals(at:_:)`) before paying for a hash probe.
package struct IdSet: Sendable {
    /// One slot: the id's hash and its insertion number (-1: empty).
    private struct Slot {
        var hash: UInt64 = 0
        var index: Int32 = -1
    }
    private var slots: [Slot]
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]

    package init(capacity: Int = 1024) {
        var size = 1024
        while size * 3 < capacity * 4 { size <<= 1 }
        slots = [Slot](repeating: Slot(), count: size)
        starts.reserveCapacity(capacity + 1)
    }

    /// How many ids the set holds.
    package var count: Int { starts.count - 1 }

    /// The insertion number of `id`, or nil.
    package func index(of id: UnsafeRawBufferPointer, hash h: UInt64) -> Int? {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: h) & mask
            while slots[i].index >= 0 {
                if slots[i].hash == h && equals(at: Int(slots[i].index), id) { return Int(slots[i].index) }
                i = (i + 1) & mask
            }
            return nil
        }
    }

    /// Whether the set holds `id`.
    package func contains(_ id: UnsafeRawBufferPointer, hash h: UInt64) -> Bool { index(of: id, hash: h) != nil }

    /// Whether the id inserted `k`-th is `id`.
    @inline(__always)
    package func equals(at k: Int, _ id: UnsafeRawBufferPointer) -> Bool {
        let start = starts[k], end = starts[k + 1]
        guard end - start == id.count else { return false }
        guard id.count > 0 else { return true }
        return arena.withUnsafeBytes { memcmp($0.baseAddress! + start, id.baseAddress!, id.count) == 0 }
    }

    /// Adds `id`; false when it was there already.
    @discardableResult
    package mutating func insert(_ id: UnsafeRawBufferPointer, hash h: UInt64) -> Bool {
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i].index >= 0 {
            if slots[i].hash == h && equals(at: Int(slots[i].index), id) { return false }
            i = (i + 1) & mask
        }
        precondition(count < Int32.max, "IdSet holds fewer than 2^31 ids")
        slots[i] = Slot(hash: h, index: Int32(count))
        arena.append(contentsOf: id)
        starts.append(arena.count)
        return true
    }

    private mutating func grow() {
        let old = slots
        slots = [Slot](repeating: Slot(), count: old.count * 2)
        let mask = slots.count - 1
        for s in old where s.index >= 0 {
            var i = Int(truncatingIfNeeded: s.hash) & mask
            while slots[i].index >= 0 { i = (i + 1) & mask }
            slots[i] = s
        }
    }
}
