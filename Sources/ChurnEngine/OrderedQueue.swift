import Foundation

/// Results that finish out of order, taken in order: producers `put(index, value)`, one consumer
/// `take()`s index 0, 1, 2, … blocking until the next one is there.
public final class OrderedQueue<Value>: @unchecked Sendable {  // every var guarded by `condition`
    private let condition = NSCondition()
    private var pending: [Int: Value] = [:]
    private var next = 0
    private var failure: Error?

    public init() {}

    public func put(_ index: Int, _ value: Value) {
        condition.lock()
        pending[index] = value
        condition.broadcast()
        condition.unlock()
    }

    /// Makes every waiting and later `take` throw.
    public func fail(_ error: Error) {
        condition.lock()
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    /// The value for the next index.
    public func take() throws -> Value {
        condition.lock()
        defer { condition.unlock() }
        while pending[next] == nil {
            if let failure { throw failure }
            condition.wait()
        }
        let value = pending.removeValue(forKey: next)!
        next += 1
        return value
    }
}

/// A bounded blocking FIFO for handing work to threads; `close()` ends it.
public final class WorkQueue<Value>: @unchecked Sendable {  // every var guarded by `condition`
    private let condition = NSCondition()
    /// Slots before `head` are nil: a popped value is the caller's alone, so its memory (a chunk's
    /// bytes, say) goes as soon as the caller is done with it, not when the array is next compacted.
    private var items: [Value?] = []
    private var head = 0
    private var closed = false
    private let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Blocks while full; returns false if the queue was closed.
    @discardableResult
    public func push(_ value: Value) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !closed { condition.wait() }
        guard !closed else { return false }
        items.append(value)
        condition.broadcast()
        return true
    }

    /// The next item, or nil once closed and drained.
    public func pop() -> Value? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let value = items[head].take()
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return value
    }

    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// A counting semaphore bounding how much work is in flight; `cancel()` releases every waiter.
public final class Credits: @unchecked Sendable {  // every var guarded by `condition`
    private let condition = NSCondition()
    private var available: Int
    private var cancelled = false

    public init(_ count: Int) { available = count }

    /// Takes a credit, waiting for one; false once cancelled.
    @discardableResult
    public func acquire() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while available == 0 && !cancelled { condition.wait() }
        if cancelled { return false }
        available -= 1
        return true
    }

    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    public func release() {
        condition.lock()
        available += 1
        condition.signal()
        condition.unlock()
    }
}
