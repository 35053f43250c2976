import ChurnHistoryFormat
import Foundation

/// A run's customer ids in input order, front-coded in groups of `groupSize`: each id is the
/// length of the prefix it shares with the id before it (0 for the first of a group), then the
/// length and bytes of the rest. Both lengths take one byte together when each is under 15 (a
/// nibble each), else a 0xFF byte and two varints. Ids that follow one another in a file usually share most of their
/// bytes (`C00012345`, `C00012349`: 4 bytes instead of 10); any id is decoded from the start of its
/// group, and the id after the last one decoded costs one step, which is how `HighIdTable` reads
/// them while a run follows the earlier one's order. Built in one pass over the blobs (it was two:
/// one to size the storage, one to fill it).
///
/// Not thread-safe: it keeps the last id decoded (one thread at a time).
final class FrontCodedIds {
    static let groupSize = 16
    /// The header byte of an id whose lengths follow as varints.
    private static let escape: UInt8 = 0xFF
    /// The coded ids: `arenaCount` bytes at `arena.base` (none without ids).
    private let arena: ReservedBytes?
    private let arenaCount: Int
    /// Offset in the arena of the first id of each group.
    private let groupStarts: [UInt32]
    let count: Int
    /// Bytes the coded ids take.
    var storedBytes: Int { arenaCount + 4 * groupStarts.count }

    /// The id held in `scratch`: its number (-1: none) and the offset just past it.
    private var decodedOrdinal = -1
    private var decodedEnd = 0
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCount = 0
    private var scratchCapacity = 256

    init() {
        arena = nil
        arenaCount = 0
        groupStarts = []
        count = 0
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit { scratch.deallocate() }

    /// Codes the ids of `high_ids` blobs (each id a varint length, then its bytes) that `collect`
    /// passes in input order, in one pass over them: the storage is reserved for the worst case
    /// (`ReservedBytes`) and costs memory only as it is filled.
    /// - Parameters:
    ///   - maxIds: at most this many ids (more is an error: the blobs are damaged).
    ///   - blobBytes: the blobs' total size (coded ids never take more than that plus a few bytes
    ///     per id; more is an error).
    ///   - each: called with every id as it is coded, in order.
    init(maxIds: Int, blobBytes: Int, collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void,
         each: (UnsafeRawBufferPointer) -> Void = { _ in }) throws {
        scratch = .allocate(capacity: scratchCapacity)
        // An id coded costs at most its blob bytes plus the escape byte and the shared length's
        // varint (5 bytes up to 2^35).
        let bound = blobBytes + 6 * maxIds
        guard maxIds >= 0, blobBytes >= 0, bound <= Int(UInt32.max) else {
            throw StoreError(operation: "compare High-risk customers", message: "the earlier run's High-risk ids exceed 4 GiB", path: "")
        }
        let arena = try ReservedBytes(capacity: bound)
        var groupStarts = [UInt32](repeating: 0, count: (maxIds + Self.groupSize - 1) / Self.groupSize)
        let (n, bytes) = try groupStarts.withUnsafeMutableBufferPointer { starts in
            try Self.code(collect, maxIds: maxIds, into: UnsafeMutableBufferPointer(start: arena.base, count: bound), groupStarts: starts, each: each)
        }
        arena.shrink(to: bytes)
        if n < maxIds { groupStarts.removeLast(groupStarts.count - (n + Self.groupSize - 1) / Self.groupSize) }
        self.arena = arena
        arenaCount = bytes
        self.groupStarts = groupStarts
        count = n
    }

    /// One pass over the ids `collect` passes: front-codes them into `arena` and `groupStarts`.
    /// Returns how many ids and how many bytes coded; throws `ByteSource.Damaged` when they do not fit.
    private static func code(_ collect: ((UnsafeRawBufferPointer) -> Void) throws -> Void, maxIds: Int, into arena: UnsafeMutableBufferPointer<UInt8>,
                             groupStarts: UnsafeMutableBufferPointer<UInt32>, each: (UnsafeRawBufferPointer) -> Void)
        throws -> (ids: Int, bytes: Int) {
        // The id before, copied (its blob may be gone by the next id): raw bytes, not an array,
        // whose uniqueness checks and resizing cost more than the copy.
        var previous = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        var previousCapacity = 256
        var previousCount = 0
        defer { previous.deallocate() }
        var problem: Error?
        var n = 0, bytes = 0
        // An id's header (shared and rest lengths), coded here first to know its size.
        let header = UnsafeMutablePointer<UInt8>.allocate(capacity: 20)
        defer { header.deallocate() }
        // `collect` cannot call back into `each` re-entrantly (it only passes blobs).
        try withoutActuallyEscaping(each) { each in try collect { blob in
            guard problem == nil else { return }
            do {
                try DecodedBlock.highIds(blob) { id in
                    let first = n % groupSize == 0
                    let shared = first ? 0 : sharedPrefix(UnsafeRawBufferPointer(start: previous, count: previousCount), id)
                    let rest = id.count - shared
                    let headerCount: Int
                    if shared < 15 && rest < 15 {
                        header[0] = UInt8(shared << 4 | rest)
                        headerCount = 1
                    } else {
                        header[0] = Self.escape
                        headerCount = ByteSink.writeVarint(UInt64(rest), at: ByteSink.writeVarint(UInt64(shared), at: header + 1)) - header
                    }
                    guard n < maxIds, bytes + headerCount + rest <= arena.count else {
                        throw ByteSource.Damaged()
                    }
                    if first { groupStarts[n / groupSize] = UInt32(bytes) }
                    let at = arena.baseAddress! + bytes
                    at.update(from: header, count: headerCount)
                    if rest > 0 { memcpy(at + headerCount, id.baseAddress! + shared, rest) }
                    bytes += headerCount + rest
                    if id.count > previousCapacity {
                        previousCapacity = max(id.count, 2 * previousCapacity)
                        previous.deallocate()
                        previous = .allocate(capacity: previousCapacity)
                    }
                    if id.count > 0 { memcpy(previous, id.baseAddress!, id.count) }
                    previousCount = id.count
                    n += 1
                    each(id)
                }
            } catch {
                problem = error
            }
        } }
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
        let arena = UnsafeBufferPointer(start: self.arena!.base, count: arenaCount)
        var offset = decodedEnd
        while at <= ordinal {
            let lengths = arena[offset]
            offset += 1
            var shared = Int(lengths >> 4), rest = Int(lengths & 15)
            if lengths == Self.escape {
                shared = Self.getVarint(arena, &offset)
                rest = Self.getVarint(arena, &offset)
            }
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
        decodedOrdinal = ordinal
    }

    /// The bytes two ids share at their start: 8 at a time, then by byte.
    @inline(__always)
    private static func sharedPrefix(_ previous: UnsafeRawBufferPointer, _ id: UnsafeRawBufferPointer) -> Int {
        let n = min(previous.count, id.count)
        guard n > 0 else { return 0 }
        let p = previous.baseAddress!, q = id.baseAddress!
        var i = 0
        while i + 8 <= n && p.loadUnaligned(fromByteOffset: i, as: UInt64.self) == q.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            i += 8
        }
        while i < n && p.load(fromByteOffset: i, as: UInt8.self) == q.load(fromByteOffset: i, as: UInt8.self) { i += 1 }
        return i
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
