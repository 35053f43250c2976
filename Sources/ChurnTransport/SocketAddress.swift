import CLibUV
import Foundation

/// An IPv4 or IPv6 socket address (internal helper for bind, connect and peer names).
struct SocketAddress: CustomStringConvertible {
    private(set) var storage = sockaddr_storage()

    init(storage: sockaddr_storage) { self.storage = storage }

    /// Copies an address libuv or getaddrinfo handed over.
    init?(_ address: UnsafePointer<sockaddr>) {
        let family = Int32(address.pointee.sa_family)
        let length: Int
        switch family {
        case AF_INET: length = MemoryLayout<sockaddr_in>.size
        case AF_INET6: length = MemoryLayout<sockaddr_in6>.size
        default: return nil
        }
        withUnsafeMutableBytes(of: &storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: address, count: length))
        }
    }

    /// Parses a numeric IPv4 (`127.0.0.1`) or IPv6 (`::1`, `[::1]`, `fe80::1%eth0`) host; nil for names.
    static func numeric(host: String, port: Int) -> SocketAddress? {
        var name = host
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        var address = SocketAddress(storage: sockaddr_storage())
        let ok = withUnsafeMutableBytes(of: &address.storage) { raw -> Bool in
            if !name.contains(":") {
                return uv_ip4_addr(name, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)) == 0
            }
            return uv_ip6_addr(name, Int32(port), raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)) == 0
        }
        return ok ? address : nil
    }

    /// Resolves `host` synchronously (numeric hosts without any lookup). For bind at start-up only: a name
    /// lookup blocks the calling thread.
    static func resolveBlocking(loop: EventLoop, host: String, port: Int) throws -> SocketAddress {
        try validate(port: port, context: "resolve \(host)")
        if let address = numeric(host: host, port: port) { return address }
        let request = UnsafeMutablePointer<uv_getaddrinfo_t>.allocate(capacity: 1)
        defer { request.deallocate() }
        var hints = addrinfo.streamHints
        // A nil callback makes uv_getaddrinfo synchronous.
        let rc = uv_getaddrinfo(loop.raw, request, nil, host, String(port), &hints)
        guard rc == 0 else { throw TransportError(code: rc, context: "resolve \(host)") }
        defer { uv_freeaddrinfo(request.pointee.addrinfo) }
        guard let first = request.pointee.addrinfo, let address = SocketAddress(first.pointee.ai_addr) else {
            throw TransportError(code: Int32(UV_EAI_NONAME.rawValue), context: "resolve \(host)")
        }
        return address
    }

    static func validate(port: Int, context: String) throws {
        guard (0...65535).contains(port) else {
            throw TransportError(code: Int32(UV_EINVAL.rawValue), context: context)
        }
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self)) }
    }

    var port: Int {
        withUnsafeBytes(of: storage) { raw -> Int in
            switch Int32(storage.ss_family) {
            case AF_INET: return Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
            case AF_INET6: return Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
            default: return 0
            }
        }
    }

    /// `127.0.0.1:9001` or `[::1]:9001`.
    var description: String {
        var name = [CChar](repeating: 0, count: 64)
        withUnsafeBytes(of: storage) { raw in
            switch Int32(storage.ss_family) {
            case AF_INET:
                _ = uv_ip4_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self), &name, name.count)
            case AF_INET6:
                _ = uv_ip6_name(raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self), &name, name.count)
            default: break
            }
        }
        let host = String(cString: name)
        return Int32(storage.ss_family) == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Reads a TCP handle's own or peer address (`uv_tcp_getsockname` / `uv_tcp_getpeername`).
    static func of(
        _ tcp: UnsafeMutablePointer<uv_tcp_t>,
        _ get: (UnsafePointer<uv_tcp_t>?, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<Int32>?) -> Int32
    ) -> SocketAddress? {
        var address = SocketAddress(storage: sockaddr_storage())
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutableBytes(of: &address.storage) { raw in
            get(tcp, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        return rc == 0 ? address : nil
    }
}

extension addrinfo {
    /// getaddrinfo hints for TCP over IPv4 or IPv6.
    static var streamHints: addrinfo {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_protocol = Int32(IPPROTO_TCP)
        return hints
    }
}
