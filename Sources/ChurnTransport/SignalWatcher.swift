import CLibUV
import Foundation

/// Calls a closure on the loop thread when the process receives one of the given signals (SIGTERM and
/// SIGINT by default), through `uv_signal_t`; the usual trigger for a graceful drain.
///
/// Loop thread only. Alive until `close()` or `EventLoop.stop()`.
public final class SignalWatcher: LoopResource, @unchecked Sendable {  // loop thread only (libuv handles)
    /// The loop the handler runs on.
    public let loop: EventLoop
    private var handles: [UnsafeMutablePointer<uv_signal_t>] = []
    private var handler: ((Int32) -> Void)?
    private var isClosed = false

    /// Starts watching `signals`; `handler` receives the signal number, on the loop thread.
    public init(loop: EventLoop, signals: [Int32] = [SIGTERM, SIGINT], handler: @escaping (Int32) -> Void) throws {
        loop.assertInLoopThread()
        self.loop = loop
        self.handler = handler
        for signal in signals {
            let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
            uv_signal_init(loop.raw, handle)  // cannot fail on Unix
            handle.pointee.data = Unmanaged.passRetained(self).toOpaque()  // one retain per handle
            handles.append(handle)
            let rc = uv_signal_start(handle, { handle, signal in
                Unmanaged<SignalWatcher>.fromOpaque(handle!.pointee.data).takeUnretainedValue().handler?(signal)
            }, signal)
            if rc != 0 {
                close()
                throw TransportError(code: rc, context: "watch signal \(signal)")
            }
        }
    }

    /// Stops watching; the handler is not called afterwards. Idempotent.
    public func close() {
        loop.assertInLoopThread()
        guard !isClosed else { return }
        isClosed = true
        handler = nil
        for handle in handles {
            uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { handle in
                Unmanaged<SignalWatcher>.fromOpaque(handle!.pointee.data).release()
                handle!.deallocate()
            }
        }
    }

    func closeForLoopShutdown() { close() }

    /// Makes writes to a socket whose peer has gone away fail with `EPIPE` instead of killing the process.
    /// Process-wide: only executables call it, once at start-up (libraries never change signal dispositions).
    public static func ignoreSIGPIPE() {
        signal(SIGPIPE, SIG_IGN)
    }
}
