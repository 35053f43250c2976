import CLibUV

/// A libuv timer (`uv_timer_t`): one-shot or repeating, restartable, for heartbeats and idle timeouts.
///
/// Named `LoopTimer` so that it never collides with `Foundation.Timer`. Loop thread only. The timer stays
/// alive while its handle is open, even if nobody holds it; `close()` releases it (and the callback, so a
/// callback capturing the timer is not a leak once closed). `EventLoop.stop()` closes it too.
public final class LoopTimer: LoopResource, @unchecked Sendable {  // loop thread only (libuv handle)
    /// The loop this timer belongs to.
    public let loop: EventLoop
    private let handle: UnsafeMutablePointer<uv_timer_t>
    private var callback: (() -> Void)?
    private var closesAfterFiring = false
    private var isClosed = false

    /// Makes a stopped timer; `start(after:repeating:)` arms it.
    public init(loop: EventLoop, _ callback: @escaping () -> Void) {
        loop.assertInLoopThread()
        self.loop = loop
        self.callback = callback
        handle = .allocate(capacity: 1)
        uv_timer_init(loop.raw, handle)  // cannot fail
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()  // released in the close callback
    }

    /// A one-shot timer that fires once after `delay` and then closes itself. Keep the result only to
    /// cancel it (`close()`).
    @discardableResult
    public static func once(loop: EventLoop, after delay: Duration, _ callback: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(loop: loop, callback)
        timer.closesAfterFiring = true
        timer.start(after: delay)
        return timer
    }

    /// Arms (or re-arms: the previous schedule is dropped) the timer to fire after `delay`, then every
    /// `interval` if given. Re-arming on activity is how idle timeouts are done. Ignored once closed.
    public func start(after delay: Duration, repeating interval: Duration? = nil) {
        loop.assertInLoopThread()
        guard !isClosed else { return }
        let repeatMillis = interval.map { max($0.uvMilliseconds, 1) } ?? 0
        uv_timer_start(handle, { timer in
            Unmanaged<LoopTimer>.fromOpaque(timer!.pointee.data).takeUnretainedValue().fire()
        }, delay.uvMilliseconds, repeatMillis)
    }

    /// Disarms the timer; `start` may arm it again.
    public func stop() {
        loop.assertInLoopThread()
        guard !isClosed else { return }
        uv_timer_stop(handle)
    }

    /// Whether the timer is armed.
    public var isActive: Bool {
        loop.assertInLoopThread()
        return !isClosed && uv_is_active(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) != 0
    }

    /// Stops and closes the timer for good; the callback is never called afterwards. Idempotent.
    public func close() {
        loop.assertInLoopThread()
        guard !isClosed else { return }
        isClosed = true
        callback = nil
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { handle in
            let timer = Unmanaged<LoopTimer>.fromOpaque(handle!.pointee.data).takeRetainedValue()
            timer.handle.deallocate()
        }
    }

    func closeForLoopShutdown() { close() }

    private func fire() {
        callback?()
        if closesAfterFiring { close() }
    }
}
