import ChurnHistoryFormat
import Foundation

/// A run's customer ids in input order, front-coded in groups of `groupSize`: each id is the
/// length of the prefix it shares with the id before it (0 for the first of a group), then the
/// length and bytes of the rest. Ids that follow one another in a file usually share most of their
/// bytes (`C00012345`, `C00012349`: 4 bytes instead of 10); any id is decoded from the start of its
/// group, and the id after the last one decoded costs one step, which is how `HighIdTable` reads
/// them while a run follows the earlier one's order.
///
/// Not thread-safe: it keeps the last id decoded (one thread at a time).
final class FrontCodedIds {
    static let groupSize = 16
    /// The coded ids.
    private let arena: [UInt8]
    /// Offset in `arena` of the first id of each group.
    private let groupStarts: [UInt32]
    let count: Int
    /// Bytes the coded ids take.
    var storedBytes: Int { arena.count + 4 * groupStarts.count }

    /// The id held in `scratch`: its number (-1: none) and the offset just past it.
    private var decodedOrdinal = -1
    private var decodedEnd = 0
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCount = 0
    private var scratchCapacity = 256

    init() {
        arena = []
        groupStarts = []
        count = 0
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit { scratch.deallocate() }

    /// Codes the ids of `high_ids` blobs (each id a varint length, then its bytes) that `collect`
    /// passes in input order. `collect` is called twice, to size the storage exactly and then to
    /// fill it, and must pass the same blobs both times.
    init(collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void) throws {
        scratch = .allocate(capacity: scratchCapacity)
        // Sizing pass: how many ids, how many bytes coded.
        let (n, bytes) = try Self.code(collect, into: nil)
        guard bytes <= Int(UInt32.max) else {
            throw StoreError(operation: "compare High-risk customers", message: "the earlier run's High-risk ids exceed 4 GiB", path: "")
        }
        var arena = [UInt8](repeating: 0, count: bytes)
        var groupStarts = [UInt32](repeating: 0, count: (n + Self.groupSize - 1) / Self.groupSize)
        let (filled, written) = try arena.withUnsafeMutableBufferPointer { out in
            try groupStarts.withUnsafeMutableBufferPointer { starts in try Self.code(collect, into: (out, starts)) }
        }
        guard filled == n, written == bytes else { throw ByteSource.Damaged() }
        self.arena = arena
        self.groupStarts = groupStarts
        count = n
    }

    /// One pass over the ids `collect` passes: front-codes them into `storage` (the arena and the
    /// group starts, sized by an earlier pass without storage), or only counts them. Returns how
    /// many ids and how many bytes coded.
    private static func code(_ collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void,
                             into storage: (arena: UnsafeMutableBufferPointer<UInt8>, groupStarts: UnsafeMutableBufferPointer<UInt32>)?)
        throws -> (ids: Int, bytes: Int) {
        var previous: [UInt8] = []
        var problem: Error?
        var n = 0, bytes = 0
        // An id's two varints (shared and rest lengths), coded here first to know their size.
        let header = UnsafeMutablePointer<UInt8>.allocate(capacity: 20)
        defer { header.deallocate() }
        try collect { blob in
            guard problem == nil else { return }
            do {
                try DecodedBlock.highIds(blob) { id in
                    let first = n % groupSize == 0
                    let shared = first ? 0 : sharedPrefix(previous, id)
                    let rest = id.count - shared
                    let headerCount = ByteSink.writeVarint(UInt64(rest), at: ByteSink.writeVarint(UInt64(shared), at: header)) - header
                    if let storage {
                        guard n / groupSize < storage.groupStarts.count, bytes + headerCount + rest <= storage.arena.count else {
                            throw ByteSource.Damaged()
                        }
                        if first { storage.groupStarts[n / groupSize] = UInt32(bytes) }
                        let at = storage.arena.baseAddress! + bytes
                        at.update(from: header, count: headerCount)
                        if rest > 0 { memcpy(at + headerCount, id.baseAddress! + shared, rest) }
                    }
                    bytes += headerCount + rest
                    previous.removeAll(keepingCapacity: true)
                    previous.append(contentsOf: id)
                    n += 1
                }
            } catch {
                problem = error
            }
        }
        if let problem { throw problem }
        return (n, bytes)
    }

    /// Whether id number `ordinal` (0 ..< count) is `id`.
    func id(_ ordinal: Int, equals id: UnsafeRawBufferPointer) -> Bool {
        decode(ordinal)
        guard scratchCount == id.count else { return false }
        return scratchCount == 0 || memcmp(scratch, id.baseAddress!, scratchCount) == 0
    }

    /// Calls `body` with every id and its number, in order.
    func forEach(_ body: (Int, UnsafeRawBufferPointer) -> Void) {
        for ordinal in 0..<count {
            decode(ordinal)
            body(ordinal, UnsafeRawBufferPointer(start: scratch, count: scratchCount))
        }
    }

    /// Puts id number `ordinal` in `scratch`: one step from the id decoded last when it is the next
    /// one (or further on in the same group), else from the start of its group.
    private func decode(_ ordinal: Int) {
        precondition(ordinal >= 0 && ordinal < count, "id number out of range")
        if ordinal == decodedOrdinal { return }
        let group = ordinal / Self.groupSize
        var at: Int
        if decodedOrdinal >= 0 && ordinal > decodedOrdinal && (ordinal == decodedOrdinal + 1 || decodedOrdinal / Self.groupSize == group) {
            at = decodedOrdinal + 1
        } else {
            at = group * Self.groupSize
            decodedEnd = Int(groupStarts[group])
            scratchCount = 0
        }
        arena.withUnsafeBufferPointer { arena in
            var offset = decodedEnd
            while at <= ordinal {
                let shared = Self.getVarint(arena, &offset)
                let rest = Self.getVarint(arena, &offset)
                let total = shared + rest
                if total > scratchCapacity {
                    // Keeps the shared prefix: it is part of the id being decoded.
                    var c = scratchCapacity * 2
                    while c < total { c *= 2 }
                    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
                    bigger.update(from: scratch, count: min(shared, scratchCount))
                    scratch.deallocate()
                    scratch = bigger
                    scratchCapacity = c
                }
                if rest > 0 { memcpy(scratch + shared, arena.baseAddress! + offset, rest) }
                offset += rest
                scratchCount = total
                at += 1
            }
            decodedEnd = offset
        }
        decodedOrdinal = ordinal
    }

    private static func sharedPrefix(_ previous: [UInt8], _ id: UnsafeRawBufferPointer) -> Int {
        previous.withUnsafeBufferPointer { p in
            let n = min(p.count, id.count)
            var i = 0
            while i < n && p[i] == id[i] { i += 1 }
            return i
        }
    }

    @inline(__always)
    private static func getVarint(_ arena: UnsafeBufferPointer<UInt8>, _ offset: inout Int) -> Int {
        var result = 0, shift = 0
        while true {
            let b = arena[offset]
            offset += 1
            result |= Int(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }
}
