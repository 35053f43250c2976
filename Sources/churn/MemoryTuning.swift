import Foundation

#if os(Linux)
// glibc's mallopt(3); <malloc.h> is not part of the Glibc module Swift imports.
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let mTrimThreshold: Int32 = -1
private let mMmapThreshold: Int32 = -3
#endif

/// Process-wide allocator settings for the scoring paths.
enum MemoryTuning {
    /// Keeps large chunk buffers in the heap for reuse instead of mapping and unmapping them for
    /// every chunk (each fresh mapping costs a page fault per 4 KiB; at GB/s that is much of the
    /// system time). Memory stays bounded by the pipeline's in-flight limit.
    /// - Parameter keepFree: free heap kept for reuse before it is given back to the system. A
    ///   coordinator (whose buffers are frames of a few MB, in flight a few at a time) keeps less.
    static func reuseLargeBuffers(keepFree: Int = 128 << 20) {
        #if os(Linux)
        _ = glibcMallopt(mMmapThreshold, 64 << 20)
        _ = glibcMallopt(mTrimThreshold, Int32(keepFree))
        #endif
    }
}
