import Foundation

/// Starts a thread running `body`. The closure is handed over, not shared: after this call only
/// the new thread runs it, so what it captures crosses threads exactly once, here. Whatever the
/// closure and its caller both touch afterwards must still be protected (a lock, a queue, a
/// semaphore), and each caller says which.
public enum HandOffThread {
    @discardableResult
    public static func start(name: String, stackSize: Int? = nil, _ body: @escaping () -> Void) -> Thread {
        let handOff = HandOff(body)
        let thread = Thread { handOff.body() }
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
        return thread
    }
}

/// A closure moved to another thread; see `HandOffThread`.
private final class HandOff: @unchecked Sendable {  // run by the new thread only, after `start`
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
