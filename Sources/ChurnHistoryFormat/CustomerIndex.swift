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
    // Computed and inlinable, like the three functions below, so that the store's per-row filing
    // (another module) inlines them with constants rather than calling them.
    @inlinable package static var bucketBits: Int { 10 }
    @inlinable package static var bucketCount: Int { 1 << bucketBits }
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
            // The 1–7 bytes left as one zero-padded little-endian word, read 4, 2 and 1 at a time
            // (the same word a byte-by-byte loop builds).
            var w: UInt64 = 0
            var shift: UInt64 = 0
            let left = n - i
            if left & 4 != 0 {
                w = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self)))
                shift = 32
                i += 4
            }
            if left & 2 != 0 {
                w |= UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt16.self))) << shift
                shift += 16
                i += 2
            }
            if left & 1 != 0 {
                w |= UInt64(bytes.load(fromByteOffset: i, as: UInt8.self)) << shift
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

    @inlinable package static func bucket(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h >> UInt64(64 - bucketBits)) }

    @inlinable package static func fragment(_ h: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: (h >> UInt64(40 - bucketBits)) & 0xFF_FFFF)
    }

    @inlinable package static func entry(_ h: UInt64, blockInSegment: Int) -> UInt32 {
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
