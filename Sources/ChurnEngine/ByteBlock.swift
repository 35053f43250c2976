import Foundation

/// A growable byte buffer on raw memory: appends without reference counting or uniqueness checks
/// (the hot path of formatting millions of rows). Owned by one thread at a time; hand it on by
/// `finish()`, which wraps the bytes in a `ByteBlock`.
public struct ByteWriter {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var count = 0
    private var capacity: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    /// Makes room for `n` more bytes; `putUnchecked` may then be used n times.
    @inline(__always)
    public mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    public mutating func putUnchecked(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    public mutating func put(_ byte: UInt8) {
        reserve(1)
        putUnchecked(byte)
    }

    @inline(__always)
    public mutating func put(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if bytes.count > 0 { memcpy(base + count, bytes.baseAddress!, bytes.count) }
        count += bytes.count
    }

    public mutating func put(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { put($0) }
    }

    /// Counts `n` bytes the caller wrote at `base + count` after `reserve(n)`.
    @inline(__always)
    public mutating func advance(_ n: Int) { count += n }

    /// Gives the bytes to a `ByteBlock`; this writer must not be used afterwards.
    public func finish() -> ByteBlock { ByteBlock(base: base, count: count) }

    /// Frees the memory of a writer that was not finished.
    public func deallocate() { base.deallocate() }
}

/// Bytes on raw memory with one owner, freed with it.
public final class ByteBlock: @unchecked Sendable {  // immutable after it is made; one owner at a time, handed over through locked queues
    public let base: UnsafeMutablePointer<UInt8>
    public let count: Int
    /// When the bytes belong to an array (a received frame), the array, kept alive instead of copied;
    /// nil when `base` is this block's own allocation.
    private let keptArray: ArraySlice<UInt8>?
    /// When the bytes belong to another object (a mapped file), that object, which frees them.
    private let owner: AnyObject?

    init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
        keptArray = nil
        owner = nil
        fileDescriptor = nil
    }

    /// When the bytes are a whole file's, mapped at `base`: a descriptor of that file, open while the
    /// block lives, so that `OutputFile` can have the kernel copy them without touching the mapping.
    public let fileDescriptor: Int32?

    /// `count` bytes at `base` that `owner` keeps valid for as long as it lives (and frees when it
    /// goes), such as a mapping of a file: the block keeps the owner, and never writes the bytes.
    /// - Parameter fileDescriptor: the file the bytes are all of, from offset 0, when they are a file's.
    public init(base: UnsafeRawPointer, count: Int, owner: AnyObject, fileDescriptor: Int32? = nil) {
        self.base = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        self.count = count
        keptArray = nil
        self.owner = owner
        self.fileDescriptor = fileDescriptor
    }

    /// The bytes of `slice` without copying them: the block keeps the slice (and so its array's
    /// storage) alive. The slice's storage is a native array's heap buffer, which stays put while it
    /// is referenced and never mutated, as the transport relies on for writes.
    public init(keeping slice: ArraySlice<UInt8>) {
        if slice.isEmpty {
            base = .allocate(capacity: 1)
            count = 0
            keptArray = nil
            owner = nil
            fileDescriptor = nil
            return
        }
        base = slice.withUnsafeBufferPointer { UnsafeMutablePointer(mutating: $0.baseAddress!) }
        count = slice.count
        keptArray = slice
        owner = nil
        fileDescriptor = nil
    }

    deinit {
        if keptArray == nil && owner == nil { base.deallocate() }
    }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    public var array: [UInt8] { Array(bytes) }
}
