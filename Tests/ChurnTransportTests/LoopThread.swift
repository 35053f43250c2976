import ChurnTransport
import Foundation
import XCTest

/// An `EventLoop` running on its own thread, with helpers to run code on it and wait.
final class LoopThread {
    let loop: EventLoop

    init() throws {
        loop = try EventLoop()
        loop.startOnNewThread(name: "test-loop")
    }

    /// Runs `body` on the loop thread and returns its result.
    @discardableResult
    func sync<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, Error>!
        let accepted = loop.execute {
            result = Result { try body() }
            done.signal()
        }
        guard accepted else { throw LoopThreadError.stopped }
        guard done.wait(timeout: .now() + 10) == .success else { throw LoopThreadError.timedOut }
        return try result.get()
    }

    /// Stops the loop, waits for it to close and returns `uv_loop_close`'s result.
    @discardableResult
    func stop() -> Int32? {
        loop.stop()
        loop.waitUntilStopped()
        return loop.loopCloseResult
    }

    enum LoopThreadError: Error { case stopped, timedOut }
}

/// Deterministic bytes for a stream: splitmix64 words, so any offset can be checked.
func patternBytes(seed: UInt64, count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var state = seed
    bytes.withUnsafeMutableBytes { raw in
        var offset = 0
        while offset < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z) { word in
                let n = min(8, count - offset)
                raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: n)
            }
            offset += 8
        }
    }
    return bytes
}

/// A small seeded generator, so that random write sizes are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// Loop-thread state shared with the test thread only after the loop has been waited on.
final class Box<T>: @unchecked Sendable {  // loop thread, then the test thread once the loop has been waited on
    var value: T
    init(_ value: T) { self.value = value }
}

func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}
