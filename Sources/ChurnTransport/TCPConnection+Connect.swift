import CLibUV

extension TCPConnection {
    /// Connects to `host:port` (IPv4 or IPv6 literal, or a name resolved on libuv's thread pool).
    ///
    /// `completion` runs exactly once, on the loop thread: `.success` with the open connection (reading
    /// already started), or `.failure` with libuv's error (`ECONNREFUSED`, `ETIMEDOUT` when `timeout` passes
    /// first, `ECANCELED` when the returned connection is closed or the loop stops before the connect ends).
    /// Loop thread only: from elsewhere, call it inside `loop.execute { ... }`.
    /// - Parameters:
    ///   - timeout: covers name resolution and the TCP handshake; nil waits as long as the kernel does.
    ///   - readBufferSize: the connection's one read buffer, allocated once.
    /// - Returns: the connection being made, only so that it can be cancelled with `close()`.
    @discardableResult
    public static func connect(
        loop: EventLoop,
        host: String,
        port: Int,
        timeout: Duration? = .seconds(5),
        readBufferSize: Int = TCPConnection.defaultReadBufferSize,
        completion: @escaping (Result<TCPConnection, TransportError>) -> Void
    ) -> TCPConnection {
        let target = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let connection = TCPConnection(
            loop: loop, readBufferSize: readBufferSize, state: .connecting, peerAddress: target)
        connection.connectCompletion = completion
        guard (0...65535).contains(port) else {
            connection.failConnect(code: Int32(UV_EINVAL.rawValue), context: "connect to \(target): bad port")
            return connection
        }
        if let timeout {
            connection.connectTimer = LoopTimer.once(loop: loop, after: timeout) {
                connection.failConnect(code: TransportError.timedOut, context: "connect to \(target) after \(timeout)")
            }
        }
        if let address = SocketAddress.numeric(host: host, port: port) {
            connection.startConnect(to: address)
        } else {
            connection.resolve(host: host, port: port)
        }
        return connection
    }

    /// Wraps a connection accepted on `server`; nil (with the error) when `uv_accept` fails.
    static func accept(
        from server: UnsafeMutablePointer<uv_stream_t>, loop: EventLoop, readBufferSize: Int
    ) -> Result<TCPConnection, TransportError> {
        let connection = TCPConnection(loop: loop, readBufferSize: readBufferSize, state: .open, peerAddress: "?")
        let rc = uv_accept(server, connection.stream)
        guard rc == 0 else {
            connection.closeHandle(reason: .closedLocally)  // nobody listens to onClose yet
            return .failure(TransportError(code: rc, context: "accept"))
        }
        connection.didOpen()
        return .success(connection)
    }

    /// Ends a connect in progress; the completion gets `error` from the close callback. Idempotent.
    func failConnect(code: Int32, context: String) {
        guard state == .connecting else { return }
        connectError = TransportError(code: code, context: context)
        connectTimer?.close()
        connectTimer = nil
        if let request = resolveRequest {
            // If the lookup already runs on the pool it finishes and its callback sees we are closed.
            uv_cancel(UnsafeMutableRawPointer(request).assumingMemoryBound(to: uv_req_t.self))
        }
        state = .closing
        // Closing cancels a pending uv_connect_t: its callback (ECANCELED) comes first and is ignored.
        uv_close(UnsafeMutableRawPointer(handle).assumingMemoryBound(to: uv_handle_t.self), Self.closeCallback)
    }

    private func didOpen() {
        uv_tcp_nodelay(handle, 1)
        if let peer = SocketAddress.of(handle, uv_tcp_getpeername) { peerAddress = peer.description }
        startReading()
    }

    private func startConnect(to address: SocketAddress) {
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)  // freed in the callback
        let rc = address.withSockaddr { sockaddr in
            uv_tcp_connect(request, handle, sockaddr) { request, status in
                let stream = request!.pointee.handle!
                request!.deallocate()
                // The connect callback always precedes the handle's close callback: still retained.
                let connection = Unmanaged<TCPConnection>.fromOpaque(stream.pointee.data).takeUnretainedValue()
                connection.didConnect(status: status)
            }
        }
        if rc != 0 {
            request.deallocate()
            failConnect(code: rc, context: "connect to \(peerAddress)")
        }
    }

    private func didConnect(status: Int32) {
        guard state == .connecting else { return }  // timed out or cancelled: the close callback reports it
        if status < 0 {
            failConnect(code: status, context: "connect to \(peerAddress)")
            return
        }
        connectTimer?.close()
        connectTimer = nil
        state = .open
        didOpen()
        let completion = connectCompletion
        connectCompletion = nil
        completion?(.success(self))
    }

    private func resolve(host: String, port: Int) {
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)  // freed in the callback
        // The request holds its own reference: its callback may come after the handle closed.
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()
        resolveRequest = request
        var hints = addrinfo.streamHints
        let rc = uv_getaddrinfo(loop.raw, request, { request, status, result in
            let connection = Unmanaged<TCPConnection>.fromOpaque(request!.pointee.data).takeRetainedValue()
            request!.deallocate()
            connection.resolveRequest = nil
            defer { uv_freeaddrinfo(result) }
            guard connection.state == .connecting else { return }
            if status < 0 {
                connection.failConnect(code: status, context: "resolve \(connection.peerAddress)")
            } else if let first = result, let address = SocketAddress(first.pointee.ai_addr) {
                connection.startConnect(to: address)
            } else {
                let noName = Int32(UV_EAI_NONAME.rawValue)
                connection.failConnect(code: noName, context: "resolve \(connection.peerAddress)")
            }
        }, host, String(port), &hints)
        if rc != 0 {
            resolveRequest = nil
            Unmanaged<TCPConnection>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            failConnect(code: rc, context: "resolve \(peerAddress)")
        }
    }
}
