import Foundation

/// A set of ids (byte strings) keyed by their `CustomerIndex.hash`, for comparisons over millions of
/// ids (a run's score changes against the previous run; the newly-High ids already listed, while the
/// previous run's High ids themselves are held in ChurnStore's `HighIdTable`): open addressing, ids kept in one arena in insertion order, so that a
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
