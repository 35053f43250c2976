import CLibUV
import Foundation

/// One libuv loop (`uv_loop_t`) and the thread that runs it.
///
/// Threading: everything the loop owns (handles, `TCPConnection`, `TCPListener`, `LoopTimer`,
/// `SignalWatcher`) is touched only on the loop thread, i.e. the thread inside `run()`. Before `run()`
/// starts, the creating thread may set things up (bind a listener, arm timers) because nobody else runs
/// the loop yet. From any other thread, use `execute(_:)` (or `submit(_:)` from async code) to get onto the
/// loop, and `stop()` to end it. Those, `inLoopThread`, `waitUntilStopped()` and `loopCloseResult` are the
/// only members callable from any thread. After `run()` has returned nothing may be created on the loop.
/// Work queued on a loop that never runs is dropped when the loop is freed.
///
/// Shutdown: `stop()` runs the closures already queued, then closes every open handle (found with
/// `uv_walk`), lets their close callbacks free memory, and calls `uv_loop_close`. `run()` returns after that.
public final class EventLoop: @unchecked Sendable {  // cross-thread state guarded by `condition`; `raw` on the loop thread only
    /// The raw loop; only for this module's handle wrappers, on the loop thread.
    let raw: UnsafeMutablePointer<uv_loop_t>
    /// Wakes the loop for `execute` and `stop`. Owned by this object, closed during shutdown, freed in deinit.
    private let wakeup: UnsafeMutablePointer<uv_async_t>

    private enum State { case idle, running, stopping, closed }

    // Guarded by `condition` (cross-thread state).
    private let condition = NSCondition()
    private var state = State.idle
    private var owner: pthread_t?
    private var stopRequested = false
    private var acceptingWork = true
    private var pending: [() -> Void] = []
    private var closeResult: Int32?

    // Loop thread only.
    private var draining: [() -> Void] = []

    /// Makes a loop. Nothing runs until `run()` or `startOnNewThread()`.
    public init() throws {
        // Everything is set up in locals first: a throw before the stored properties are assigned means
        // deinit never runs on a half-made loop.
        let raw = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        let wakeup = UnsafeMutablePointer<uv_async_t>.allocate(capacity: 1)
        var rc = uv_loop_init(raw)
        if rc == 0 {
            rc = uv_async_init(raw, wakeup) { async in
                // Unretained: the EventLoop outlives its own wake-up handle (run() holds `self`).
                Unmanaged<EventLoop>.fromOpaque(async!.pointee.data).takeUnretainedValue().drainQueue()
            }
            if rc != 0 { uv_loop_close(raw) }
        }
        guard rc == 0 else {
            raw.deallocate()
            wakeup.deallocate()
            throw TransportError(code: rc, context: "create event loop")
        }
        self.raw = raw
        self.wakeup = wakeup
        wakeup.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        condition.lock()
        let neverRan = state == .idle
        let result = closeResult
        condition.unlock()
        if neverRan {
            // Nobody ran the loop: close what is left (at least the wake-up handle) here.
            closeAllHandles()
            uv_run(raw, UV_RUN_DEFAULT)
            if uv_loop_close(raw) == 0 {
                raw.deallocate()
                wakeup.deallocate()
            }
        } else if result == 0 {
            raw.deallocate()
            wakeup.deallocate()
        }
        // Otherwise uv_loop_close said EBUSY: some handle is still open and may point at this memory, so it
        // is leaked on purpose rather than freed under libuv's feet.
    }

    /// Runs the loop on the calling thread until `stop()` has closed everything; returns `uv_loop_close`'s
    /// result (0 when every handle was closed). Call once.
    @discardableResult
    public func run() -> Int32 {
        condition.lock()
        precondition(state == .idle, "EventLoop.run() called twice")
        state = .running
        owner = pthread_self()
        condition.unlock()

        uv_run(raw, UV_RUN_DEFAULT)

        // uv_run returns once stop() has closed every handle. Close callbacks may have opened new handles
        // (a reconnect timer, say): close those too until the loop is empty.
        var rc = uv_loop_close(raw)
        var attempts = 0
        while rc == Int32(UV_EBUSY.rawValue) && attempts < 8 {
            closeAllHandles()
            uv_run(raw, UV_RUN_DEFAULT)
            rc = uv_loop_close(raw)
            attempts += 1
        }

        condition.lock()
        state = .closed
        acceptingWork = false
        let dropped = pending.count
        pending.removeAll()
        closeResult = rc
        owner = nil
        condition.broadcast()
        condition.unlock()
        assert(dropped == 0, "work queued after the loop stopped accepting it")
        return rc
    }

    /// Starts a dedicated thread that runs the loop (the coordinator's way). Returns at once; use
    /// `execute(_:)` to do anything on the loop, `stop()` and `waitUntilStopped()` to end it.
    public func startOnNewThread(name: String = "churn-uv-loop") {
        let thread = Thread { [self] in
            run()
        }
        thread.name = name
        thread.start()
    }

    /// Queues `work` to run on the loop thread, in submission order (per submitting thread, and globally
    /// in the order the lock was taken). Callable from any thread, including the loop thread (the work then
    /// runs on a later turn of the loop, never inside this call).
    /// - Returns: false when the loop has already shut down; `work` is then dropped without running.
    @discardableResult
    public func execute(_ work: @escaping () -> Void) -> Bool {
        condition.lock()
        guard acceptingWork else {
            condition.unlock()
            return false
        }
        pending.append(work)
        // One send per batch is enough: uv_async_send coalesces and the callback drains everything.
        // Sent under the lock so that it can never race with the handle's close (acceptingWork turns false,
        // under this lock, before the wake-up handle is closed).
        if pending.count == 1 { uv_async_send(wakeup) }
        condition.unlock()
        return true
    }

    /// Asks the loop to shut down: closures queued before this call still run, then every handle is closed
    /// and `run()` returns. Callable from any thread, idempotent, does not wait (see `waitUntilStopped()`).
    public func stop() {
        condition.lock()
        guard !stopRequested, acceptingWork else {
            condition.unlock()
            return
        }
        stopRequested = true
        uv_async_send(wakeup)
        condition.unlock()
    }

    /// Blocks until `run()` has finished closing the loop. Do not call on the loop thread.
    public func waitUntilStopped() {
        condition.lock()
        let onLoopThread = owner.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        precondition(!onLoopThread, "waitUntilStopped() on the loop thread would never return")
        while state != .closed { condition.wait() }
        condition.unlock()
    }

    /// Whether the caller is on the thread running this loop (or the loop is not running, when the creating
    /// thread may still set it up).
    public var inLoopThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        switch state {
        case .idle: return true
        case .closed: return false
        case .running, .stopping: return owner.map { pthread_equal($0, pthread_self()) != 0 } ?? false
        }
    }

    /// `uv_loop_close`'s result once `run()` has returned: 0 means every handle was closed; nil while running.
    public var loopCloseResult: Int32? {
        condition.lock()
        defer { condition.unlock() }
        return closeResult
    }

    /// Number of open handles (closing ones included), not counting the loop's own wake-up handle. Loop
    /// thread only; for diagnostics and tests ("nothing leaked before stop").
    public func openHandleCount() -> Int {
        assertInLoopThread()
        var handles: [UnsafeMutablePointer<uv_handle_t>] = []
        collectHandles(into: &handles)
        let own = UnsafeMutableRawPointer(wakeup)
        return handles.filter { UnsafeMutableRawPointer($0) != own }.count
    }

    func assertInLoopThread(file: StaticString = #fileID, line: UInt = #line) {
        assert(inLoopThread, "ChurnTransport: loop-owned object used off the loop thread", file: file, line: line)
    }

    // MARK: - Loop thread

    private func drainQueue() {
        condition.lock()
        swap(&pending, &draining)
        let stopping = stopRequested
        if stopping {
            // Last batch: anything submitted from now on is refused, so nothing is lost silently.
            acceptingWork = false
            state = .stopping
        }
        condition.unlock()

        // Closures submitted while these run get their own wake-up, which keeps I/O from starving.
        for work in draining { work() }
        draining.removeAll(keepingCapacity: true)

        if stopping { closeAllHandles() }
    }

    private func collectHandles(into handles: inout [UnsafeMutablePointer<uv_handle_t>]) {
        withUnsafeMutablePointer(to: &handles) { list in
            uv_walk(raw, { handle, arg in
                arg!.assumingMemoryBound(to: [UnsafeMutablePointer<uv_handle_t>].self).pointee.append(handle!)
            }, list)
        }
    }

    /// Closes every handle not already closing. Collected first, closed after the walk, so that close
    /// methods (which may call user code) never run inside `uv_walk`.
    private func closeAllHandles() {
        var handles: [UnsafeMutablePointer<uv_handle_t>] = []
        collectHandles(into: &handles)
        let own = UnsafeMutableRawPointer(wakeup)
        for handle in handles where uv_is_closing(handle) == 0 {
            if UnsafeMutableRawPointer(handle) == own {
                uv_close(handle, nil)
            } else if let data = handle.pointee.data,
                let resource = Unmanaged<AnyObject>.fromOpaque(data).takeUnretainedValue() as? LoopResource
            {
                resource.closeForLoopShutdown()
            } else {
                // Not one of ours: close it so the loop can end; its memory belongs to whoever made it.
                uv_close(handle, nil)
            }
        }
    }
}
