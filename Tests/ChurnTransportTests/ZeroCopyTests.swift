import ChurnTransport
import Foundation
import XCTest

/// Reads that land in the reader's own space (`readSpace`) and writes of memory an owner keeps alive
/// (`OutgoingBytes(_:owner:)`): bytes arrive intact and in order, and every owner is let go.
final class ZeroCopyTests: XCTestCase {
    /// Memory written from, released when the transport is done with it.
    final class Owner {
        let memory: UnsafeMutableRawBufferPointer
        let released: Box<Int>
        init(_ bytes: ArraySlice<UInt8>, released: Box<Int>) {
            memory = .allocate(byteCount: bytes.count, alignment: 1)
            memory.copyBytes(from: bytes)
            self.released = released
        }
        deinit {
            memory.deallocate()
            released.value += 1
        }
    }

    func testReadsLandInTheReadersSpaceAndOwnedWritesArriveIntact() throws {
        let server = try LoopThread()
        let client = try LoopThread()
        let size = 8 << 20
        let data = patternBytes(seed: 99, count: size)
        let received = Box<[UInt8]>([])
        let outside = Box(0)  // reads delivered anywhere but the space handed out
        let done = expectation(description: "all bytes received")
        let port = try server.sync {
            try TCPListener.bind(loop: server.loop, host: "127.0.0.1", port: 0) { connection in
                // A space of odd sizes at the end of the bytes received so far, like a decoder's.
                var space = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 4096, alignment: 1)
                var filled = 0
                var turn = 0
                connection.readSpace = {
                    turn += 1
                    let count = min(1 + (turn * 7919) % 100_000, space.count - filled)
                    return UnsafeMutableRawBufferPointer(rebasing: space[filled..<filled + count])
                }
                connection.onRead = { bytes in
                    if bytes.baseAddress != UnsafeRawPointer(space.baseAddress! + filled) { outside.value += 1 }
                    filled += bytes.count
                    if filled >= size {
                        received.value = Array(UnsafeRawBufferPointer(rebasing: space[0..<filled]))
                        space.deallocate()
                        space = .allocate(byteCount: 1, alignment: 1)
                        filled = 0
                        connection.close()
                        done.fulfill()
                    }
                }
                connection.onClose = { _ in }
            }.port
        }
        let released = Box(0)
        let owners = Box(0)
        let closed = expectation(description: "client closed")
        try client.sync {
            TCPConnection.connect(loop: client.loop, host: "127.0.0.1", port: port) { result in
                guard case .success(let connection) = result else { return XCTFail("\(result)") }
                connection.onClose = { _ in closed.fulfill() }
                var rng = SeededGenerator(state: 5)
                var offset = 0
                while offset < size {
                    // A frame-like write: an array, owned memory, an array.
                    let n = min(Int.random(in: 3...200_000, using: &rng), size - offset)
                    let a = offset + n / 3, b = offset + 2 * n / 3
                    let owner = Owner(data[a..<b], released: released)
                    owners.value += 1
                    connection.write([OutgoingBytes(Array(data[offset..<a])),
                                      OutgoingBytes(UnsafeRawBufferPointer(owner.memory), owner: owner),
                                      OutgoingBytes(Array(data[b..<offset + n]))])
                    offset += n
                }
            }
        }
        wait(for: [done, closed], timeout: 60)
        XCTAssertEqual(client.stop(), 0)
        XCTAssertEqual(server.stop(), 0)
        XCTAssertEqual(outside.value, 0, "every read landed where readSpace said")
        XCTAssertEqual(received.value.count, size)
        XCTAssertTrue(received.value == data, "bytes arrived changed or out of order")
        XCTAssertGreaterThan(owners.value, 10)
        XCTAssertEqual(released.value, owners.value, "every owner is released once its bytes are written")
    }
}
