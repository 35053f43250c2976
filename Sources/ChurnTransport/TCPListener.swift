import CLibUV

/// A listening TCP socket (`uv_tcp_t` + `uv_listen`) that hands each accepted peer over as a `TCPConnection`.
///
/// Loop thread only (or the thread that sets the loop up before `run()`). Alive until `close()` or
/// `EventLoop.stop()`, even if nobody holds it.
public final class TCPListener: LoopResource, @unchecked Sendable {  // loop thread only (libuv handles)
    /// The loop that owns this listener and its connections.
    public let loop: EventLoop
    /// Called for each accepted connection, already reading: set its `onRead` and `onClose` here.
    /// Connections accepted while this is nil are closed at once.
    public var onConnection: ((TCPConnection) -> Void)?
    /// Called when accepting fails (e.g. `EMFILE`); the listener keeps listening.
    public var onAcceptError: ((TransportError) -> Void)?
    /// The bound address as `ip:port`, with the real port when 0 was asked for.
    public private(set) var localAddress: String
    /// The bound port (the kernel's choice when 0 was asked for).
    public private(set) var port: Int

    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private let readBufferSize: Int
    private var isClosed = false

    private init(loop: EventLoop, readBufferSize: Int, onConnection: @escaping (TCPConnection) -> Void) {
        self.loop = loop
        self.readBufferSize = readBufferSize
        self.onConnection = onConnection
        localAddress = ""
        port = 0
        handle = .allocate(capacity: 1)  // freed in the close callback
        uv_tcp_init(loop.raw, handle)
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()  // released in the close callback
    }

    /// Binds `host:port` and starts listening.
    /// - Parameters:
    ///   - host: an IPv4 or IPv6 address (`0.0.0.0`, `::` for every interface, both families on Linux),
    ///     or a name, resolved synchronously (first answer).
    ///   - port: 0 lets the kernel choose; read the result from `port`.
    ///   - readBufferSize: per accepted connection, allocated once.
    /// - Throws: `TransportError` (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, …).
    public static func bind(
        loop: EventLoop,
        host: String,
        port: Int,
        backlog: Int32 = 511,
        readBufferSize: Int = TCPConnection.defaultReadBufferSize,
        onConnection: @escaping (TCPConnection) -> Void
    ) throws -> TCPListener {
        loop.assertInLoopThread()
        let address = try SocketAddress.resolveBlocking(loop: loop, host: host, port: port)
        let listener = TCPListener(loop: loop, readBufferSize: readBufferSize, onConnection: onConnection)
        do {
            try listener.bindAndListen(address, backlog: backlog)
        } catch {
            listener.close()
            throw error
        }
        return listener
    }

    private func bindAndListen(_ address: SocketAddress, backlog: Int32) throws {
        var rc = address.withSockaddr { uv_tcp_bind(handle, $0, 0) }
        guard rc == 0 else { throw TransportError(code: rc, context: "bind \(address)") }
        let stream = UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_stream_t.self)
        rc = uv_listen(stream, backlog) { server, status in
            Unmanaged<TCPListener>.fromOpaque(server!.pointee.data).takeUnretainedValue().didAccept(server!, status)
        }
        guard rc == 0 else { throw TransportError(code: rc, context: "listen \(address)") }
        let bound = SocketAddress.of(handle, uv_tcp_getsockname) ?? address
        localAddress = bound.description
        port = bound.port
    }

    private func didAccept(_ server: UnsafeMutablePointer<uv_stream_t>, _ status: Int32) {
        guard status == 0 else {
            onAcceptError?(TransportError(code: status, context: "accept on \(localAddress)"))
            return
        }
        switch TCPConnection.accept(from: server, loop: loop, readBufferSize: readBufferSize) {
        case .success(let connection):
            if let onConnection { onConnection(connection) } else { connection.close() }
        case .failure(let error):
            onAcceptError?(error)
        }
    }

    /// Stops listening; connections already accepted stay open. Idempotent.
    public func close() {
        loop.assertInLoopThread()
        guard !isClosed else { return }
        isClosed = true
        onConnection = nil
        onAcceptError = nil
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self)) { handle in
            let listener = Unmanaged<TCPListener>.fromOpaque(handle!.pointee.data).takeRetainedValue()
            listener.handle.deallocate()
        }
    }

    func closeForLoopShutdown() { close() }
}
