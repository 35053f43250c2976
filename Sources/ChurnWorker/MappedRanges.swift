import Foundation

/// Read-only mappings of the input file's shard ranges that a cut file cannot crash the worker
/// through (shards by reference, protocol version 6).
///
/// A page of a mapped file past the file's new end raises SIGBUS when touched. The handler this
/// installs (once, in workers started with `--input-file`) looks the faulting address up among the
/// ranges mapped now: inside one, it puts a page of zeros there (so the scorer reads on) and counts
/// the event, which makes `withMapping` report the shard as unreadable; anywhere else it restores
/// the default action, so a SIGBUS that is not ours still ends the process as before. The handler
/// only reads the slots and calls `mmap`; the slots are written under `lock`, with the end before
/// the start on the way in and the start first on the way out, so a slot in use always has both.
///
/// Threading: `withMapping` on any scoring thread; the slots are shared with the signal handler.
enum MappedRanges {
    private static let slotCount = 64
    /// `slotCount` pairs (start, end) of mapped ranges; start 0 marks a free slot.
    nonisolated(unsafe) private static let slots: UnsafeMutablePointer<UInt> = {
        let p = UnsafeMutablePointer<UInt>.allocate(capacity: 2 * slotCount)
        p.initialize(repeating: 0, count: 2 * slotCount)
        return p
    }()
    /// How many faults the handler has repaired; read before and after scoring a mapped range.
    nonisolated(unsafe) private static let faults: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()
    private static let lock = NSLock()
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// The action SIGBUS had before `install()`: a fault that is not ours goes back to it.
    nonisolated(unsafe) private static let previous: UnsafeMutablePointer<sigaction> = {
        let p = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
        p.initialize(to: sigaction())
        return p
    }()

    /// Installs the SIGBUS handler (idempotent; before the first mapping). Only a fault of a memory
    /// access (`BUS_ADRERR`, `BUS_OBJERR`) inside a range mapped now is repaired; anything else (a
    /// fault elsewhere, a SIGBUS sent with `kill`, a repair that fails) restores the previous action
    /// and re-raises, so it ends the process as it would have without this handler.
    static func install() {
        // Every global the handler reads is initialized here, never first inside the handler.
        _ = slots
        _ = faults
        _ = pageSize
        _ = slotCount
        _ = previous
        lock.withLock {
            guard !installed else { return }
            installed = true
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                let savedErrno = errno
                defer { errno = savedErrno }
                if let info, info.pointee.si_code == BUS_ADRERR || info.pointee.si_code == BUS_OBJERR {
                    let address = UInt(bitPattern: info.pointee._sifields._sigfault.si_addr)
                    for i in 0..<MappedRanges.slotCount {
                        let start = MappedRanges.slots[2 * i]
                        if start != 0 && address >= start && address < MappedRanges.slots[2 * i + 1] {
                            let size = UInt(MappedRanges.pageSize)
                            let page = address / size * size
                            // Zeros from the faulting page to the range's end: one fault per cut.
                            let zeros = mmap(UnsafeMutableRawPointer(bitPattern: page), Int(MappedRanges.slots[2 * i + 1] - page), PROT_READ,
                                             MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                            if zeros != MAP_FAILED {
                                MappedRanges.faults.pointee &+= 1
                                return
                            }
                            break  // cannot repair: fail as without the handler
                        }
                    }
                }
                sigaction(SIGBUS, MappedRanges.previous, nil)
                if info == nil || info!.pointee.si_code <= 0 { raise(signal) }  // sent, not a fault: deliver it again
                // A fault repeats on return, now with the previous action.
            }
            action.sa_flags = SA_SIGINFO
            sigaction(SIGBUS, &action, previous)
        }
    }
    nonisolated(unsafe) private static var installed = false

    /// Maps `length` bytes of `fd` from `offset` read-only and calls `body` with them; nil when the
    /// range cannot be mapped (no free slot, mmap failed): read it instead. `cut` is true when a
    /// page of the range vanished while mapped (the file was cut): `body` then saw zeros there.
    static func withMapping<T>(fd: Int32, offset: UInt64, length: Int,
                               _ body: (UnsafeRawBufferPointer) -> T) -> (value: T, cut: Bool)? {
        guard length > 0 else { return (body(UnsafeRawBufferPointer(start: nil, count: 0)), false) }
        let start = offset / UInt64(pageSize) * UInt64(pageSize)
        let span = Int(offset - start) + length
        guard let base = mmap(nil, span, PROT_READ, MAP_PRIVATE, fd, off_t(start)), base != MAP_FAILED else { return nil }
        defer { munmap(base, span) }
        let low = UInt(bitPattern: base), high = low + UInt(span)
        guard let slot = claim(low, high) else { return nil }
        let before = faults.pointee
        let value = body(UnsafeRawBufferPointer(start: base + Int(offset - start), count: length))
        let cut = faults.pointee != before
        release(slot)
        return (value, cut)
    }

    private static func claim(_ low: UInt, _ high: UInt) -> Int? {
        lock.withLock {
            for i in 0..<slotCount where slots[2 * i] == 0 {
                slots[2 * i + 1] = high
                slots[2 * i] = low
                return i
            }
            return nil
        }
    }

    private static func release(_ i: Int) {
        lock.withLock {
            slots[2 * i] = 0
            slots[2 * i + 1] = 0
        }
    }
}
