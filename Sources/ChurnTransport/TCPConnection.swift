import CLibUV

/// One TCP connection (`uv_tcp_t`), accepted by a `TCPListener` or made with `connect(...)`.
///
/// It moves bytes and nothing else. Reading starts as soon as the connection is open, so set `onRead` and
/// `onClose` in the listener's `onConnection` or in the connect completion (nothing is delivered before the
/// loop turns again). `TCP_NODELAY` is on.
///
/// Threading: every member is loop-thread only (the object may be referenced from anywhere, e.g. captured
/// by a closure passed to `EventLoop.execute`). Callbacks run on the loop thread.
///
/// Lifetime: the open handle keeps the object alive; when it closes, `onClose` is called exactly once, from
/// the close callback (never from inside `close()`), and all callbacks are dropped so that closures capturing
/// the connection do not leak it.
public final class TCPConnection: LoopResource, @unchecked Sendable {  // loop thread only (libuv handle and callbacks)
    /// Size of the per-connection read buffer when not given.
    public static let defaultReadBufferSize = 256 * 1024

    /// The loop that owns this connection.
    public let loop: EventLoop
    /// Bytes received. The buffer is reused for the next read: copy what you keep before returning.
    public var onRead: ((UnsafeRawBufferPointer) -> Void)?
    /// Where the next read lands, when the reader has room of its own (for example
    /// `FrameDecoder.readSpace()`): the kernel then writes straight into it, and `onRead` is given
    /// that space's first bytes, so nothing is copied on the way in. Nil, or an empty answer: the
    /// connection's own buffer.
    public var readSpace: (() -> UnsafeMutableRawBufferPointer?)?
    /// The connection is closed; called exactly once (for connections that opened).
    public var onClose: ((CloseReason) -> Void)?
    /// Every queued write has reached the kernel (`writeQueueSize` is 0 again); the moment to produce more
    /// or to resume reading from whoever feeds this connection. Not called for writes that went out at once.
    public var onDrained: (() -> Void)?
    /// The peer as `ip:port` (`[ip]:port` for IPv6); the requested `host:port` until a client connects.
    public internal(set) var peerAddress: String

    enum State { case connecting, open, shuttingDown, closing, closed }

    let handle: UnsafeMutablePointer<uv_tcp_t>
    var state: State
    private let readBuffer: UnsafeMutableRawPointer
    private let readBufferSize: Int
    private var isReading = false
    private var readingPaused = false
    private var pendingWrites = 0
    private var closeReason: CloseReason?

    // Client connect state (see TCPConnection+Connect.swift).
    var connectCompletion: ((Result<TCPConnection, TransportError>) -> Void)?
    var connectError: TransportError?
    var connectTimer: LoopTimer?
    var resolveRequest: UnsafeMutablePointer<uv_getaddrinfo_t>?

    init(loop: EventLoop, readBufferSize: Int, state: State, peerAddress: String) {
        loop.assertInLoopThread()
        precondition(readBufferSize > 0, "readBufferSize must be positive")
        self.loop = loop
        self.state = state
        self.peerAddress = peerAddress
        self.readBufferSize = readBufferSize
        readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)  // freed in the close callback
        handle = .allocate(capacity: 1)  // freed in the close callback
        uv_tcp_init(loop.raw, handle)  // cannot fail with AF_UNSPEC
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()  // released in the close callback
    }

    var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
    }

    /// Whether the connection is open for writing (not connecting, shutting down or closed).
    public var isOpen: Bool {
        loop.assertInLoopThread()
        return state == .open
    }

    /// Bytes accepted by `write` but not yet handed to the kernel (`uv_stream_get_write_queue_size`).
    public var writeQueueSize: Int {
        loop.assertInLoopThread()
        guard state == .open || state == .shuttingDown else { return 0 }
        return uv_stream_get_write_queue_size(stream)
    }

    // MARK: Writing

    /// Sends `bytes`. The array is kept (not copied) until the kernel has it; try-write first, queue the rest.
    /// - Returns: false when the connection is not open (the bytes are dropped) or the write failed at once
    ///   (the connection then closes with `.failed`).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        write(buffers: [bytes])
    }

    /// Sends several buffers back to back in one system call (e.g. a frame header and its payload) without
    /// concatenating them. Same ownership and result as `write(_:)`.
    @discardableResult
    public func write(buffers: [[UInt8]]) -> Bool {
        write(buffers.map(OutgoingBytes.init))
    }

    /// Sends arrays and memory owned by other objects back to back, without copying any of them (for
    /// example a frame's header, then a formatter's buffer). Same result as `write(_:)`.
    @discardableResult
    public func write(_ parts: [OutgoingBytes]) -> Bool {
        loop.assertInLoopThread()
        guard state == .open else { return false }
        var bufs: [uv_buf_t] = []
        bufs.reserveCapacity(parts.count)
        var total = 0
        for part in parts {
            let bytes = part.bytes
            guard let base = bytes.baseAddress, bytes.count > 0 else { continue }
            bufs.append(uv_buf_t(base: UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: CChar.self),
                                 len: bytes.count))
            total += bytes.count
        }
        guard total > 0 else { return true }

        // uv_try_write answers EAGAIN by itself while earlier writes are queued, so order is kept.
        let tried = uv_try_write(stream, bufs, UInt32(bufs.count))
        var written = 0
        if tried >= 0 {
            written = Int(tried)
        } else if tried != Int32(UV_EAGAIN.rawValue) {
            closeHandle(reason: .failed(TransportError(code: tried, context: "write to \(peerAddress)")))
            return false
        }
        if written == total { return true }

        // Queue what is left: skip whole buffers already sent, trim the one sent in part.
        var first = 0
        while written >= bufs[first].len {
            written -= bufs[first].len
            first += 1
        }
        bufs[first].base += written
        bufs[first].len -= written

        let request = UnsafeMutablePointer<uv_write_t>.allocate(capacity: 1)  // freed in the write callback
        request.pointee.data = Unmanaged.passRetained(WriteBuffers(parts)).toOpaque()
        let rc = bufs[first...].withUnsafeBufferPointer { remaining in
            uv_write(request, stream, remaining.baseAddress, UInt32(remaining.count)) { request, status in
                let request = request!
                Unmanaged<WriteBuffers>.fromOpaque(request.pointee.data).release()
                let stream = request.pointee.handle!
                request.deallocate()
                // Write callbacks, cancelled ones included, come before the close callback: still retained.
                Unmanaged<TCPConnection>.fromOpaque(stream.pointee.data).takeUnretainedValue().didWrite(status: status)
            }
        }
        guard rc == 0 else {
            Unmanaged<WriteBuffers>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            closeHandle(reason: .failed(TransportError(code: rc, context: "write to \(peerAddress)")))
            return false
        }
        pendingWrites += 1
        return true
    }

    private func didWrite(status: Int32) {
        pendingWrites -= 1
        if status < 0 {
            if status != TransportError.cancelled {
                closeHandle(reason: .failed(TransportError(code: status, context: "write to \(peerAddress)")))
            }
            return
        }
        if pendingWrites == 0, state == .open || state == .shuttingDown { onDrained?() }
    }

    // MARK: Reading

    /// Stops delivering reads (backpressure: the peer's writes then queue up in its kernel and its loop).
    public func pauseReading() {
        loop.assertInLoopThread()
        readingPaused = true
        guard isReading else { return }
        uv_read_stop(stream)
        isReading = false
    }

    /// Delivers reads again after `pauseReading()`.
    public func resumeReading() {
        loop.assertInLoopThread()
        readingPaused = false
        startReading()
    }

    func startReading() {
        guard !isReading, !readingPaused, state == .open || state == .shuttingDown else { return }
        let rc = uv_read_start(stream, { handle, _, buf in
            let connection = Unmanaged<TCPConnection>.fromOpaque(handle!.pointee.data).takeUnretainedValue()
            // libuv reads into this at once and calls the read callback before it asks again.
            if let space = connection.readSpace?(), let base = space.baseAddress, space.count > 0 {
                buf!.pointee = uv_buf_t(base: base.assumingMemoryBound(to: CChar.self), len: space.count)
                return
            }
            // One buffer per connection, reused: onRead must be done with it before returning.
            buf!.pointee = uv_buf_t(
                base: connection.readBuffer.assumingMemoryBound(to: CChar.self), len: connection.readBufferSize)
        }, { stream, nread, buf in
            let base = buf.flatMap { UnsafeRawPointer($0.pointee.base) }
            Unmanaged<TCPConnection>.fromOpaque(stream!.pointee.data).takeUnretainedValue().didRead(nread, into: base)
        })
        if rc == 0 {
            isReading = true
        } else {
            closeHandle(reason: .failed(TransportError(code: rc, context: "read from \(peerAddress)")))
        }
    }

    private func didRead(_ nread: Int, into base: UnsafeRawPointer?) {
        if nread > 0 {
            onRead?(UnsafeRawBufferPointer(start: base ?? UnsafeRawPointer(readBuffer), count: nread))
        } else if nread == Int(UV_EOF.rawValue) {
            if state == .shuttingDown {
                // Both directions are done; the shutdown callback closes once our writes are flushed.
                uv_read_stop(stream)
                isReading = false
            } else {
                closeHandle(reason: .peerClosed)
            }
        } else if nread < 0 {
            closeHandle(reason: .failed(TransportError(code: Int32(nread), context: "read from \(peerAddress)")))
        }
        // nread == 0: nothing this time (EAGAIN), not end of stream.
    }

    // MARK: Options

    /// Turns TCP keepalive on (probes after `idleSeconds` of silence) or off.
    public func setKeepAlive(_ enabled: Bool, idleSeconds: UInt32 = 60) {
        loop.assertInLoopThread()
        guard state == .open || state == .shuttingDown else { return }
        uv_tcp_keepalive(handle, enabled ? 1 : 0, idleSeconds)
    }

    // MARK: Closing

    /// Flushes every queued write, shuts the sending side down (the peer reads EOF), then closes. Reads keep
    /// being delivered meanwhile. If the peer never reads, this waits until `close()` or `EventLoop.stop()`.
    public func shutdownAndClose() {
        loop.assertInLoopThread()
        switch state {
        case .connecting: close()
        case .open: break
        case .shuttingDown, .closing, .closed: return
        }
        guard state == .open else { return }
        state = .shuttingDown
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)  // freed in its callback
        let rc = uv_shutdown(request, stream) { request, status in
            let stream = request!.pointee.handle!
            request!.deallocate()
            let connection = Unmanaged<TCPConnection>.fromOpaque(stream.pointee.data).takeUnretainedValue()
            if status < 0, status != TransportError.cancelled {
                let error = TransportError(code: status, context: "shutdown to \(connection.peerAddress)")
                connection.closeHandle(reason: .failed(error))
            } else {
                connection.closeHandle(reason: .closedLocally)
            }
        }
        if rc != 0 {
            request.deallocate()
            closeHandle(reason: .closedLocally)
        }
    }

    /// Closes now; queued writes are dropped. A connect in progress completes with `ECANCELED`. Idempotent.
    public func close() {
        loop.assertInLoopThread()
        closeHandle(reason: .closedLocally)
    }

    func closeForLoopShutdown() {
        if state == .connecting {
            failConnect(code: TransportError.cancelled, context: "connect to \(peerAddress): loop stopped")
        } else {
            closeHandle(reason: .loopStopped)
        }
    }

    func closeHandle(reason: CloseReason) {
        switch state {
        case .closing, .closed: return
        case .connecting:
            failConnect(code: TransportError.cancelled, context: "connect to \(peerAddress) cancelled")
            return
        case .open, .shuttingDown: break
        }
        if closeReason == nil { closeReason = reason }
        state = .closing
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self), Self.closeCallback)
    }

    static let closeCallback: uv_close_cb = { handle in
        Unmanaged<TCPConnection>.fromOpaque(handle!.pointee.data).takeRetainedValue().didClose()
    }

    private func didClose() {
        state = .closed
        handle.deallocate()
        readBuffer.deallocate()
        connectTimer?.close()
        connectTimer = nil
        let onClose = self.onClose
        let completion = connectCompletion
        self.onClose = nil
        onRead = nil
        readSpace = nil
        onDrained = nil
        connectCompletion = nil
        if let completion {
            completion(.failure(connectError ?? TransportError(code: TransportError.cancelled, context: "connect")))
        } else {
            onClose?(closeReason ?? .closedLocally)
        }
    }
}

/// Keeps written bytes alive until libuv's write callback.
private final class WriteBuffers {
    let parts: [OutgoingBytes]
    init(_ parts: [OutgoingBytes]) { self.parts = parts }
}
