import Foundation

/// A run of bytes reserved up to a bound in address space only (an anonymous private mapping):
/// pages count towards the process's memory once written, so a buffer sized for the worst case
/// costs only what is filled. `shrink(to:)` gives the pages past the part in use back.
///
/// Used where the exact size is known only after one pass over the data and a second pass would
/// cost more than the address space (the front-coded ids of `HighIdTable`).
final class ReservedBytes {
    private(set) var base: UnsafeMutablePointer<UInt8>
    /// Bytes mapped (a whole number of pages, at least one).
    private(set) var mappedCount: Int

    /// Reserves at least `capacity` bytes, zero-filled.
    init(capacity: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = max(page, (capacity + page - 1) / page * page)
        let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else {
            throw StoreError(operation: "reserve \(size) bytes", message: String(cString: strerror(errno)), path: "")
        }
        base = p.assumingMemoryBound(to: UInt8.self)
        mappedCount = size
    }

    /// Unmaps the pages wholly past the first `count` bytes.
    func shrink(to count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let keep = max(page, (count + page - 1) / page * page)
        guard keep < mappedCount else { return }
        munmap(base + keep, mappedCount - keep)
        mappedCount = keep
    }

    deinit { munmap(base, mappedCount) }
}
