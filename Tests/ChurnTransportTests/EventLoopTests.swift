import ChurnTransport
import Foundation
import XCTest

final class EventLoopTests: XCTestCase {
    func testExecuteFromFourThreadsRunsEveryClosureOnceInOrderPerThread() throws {
        let loopThread = try LoopThread()
        let threads = 4
        let perThread = 10_000
        let seen = Box([[Int]](repeating: [], count: threads))  // loop thread only until the end
        let onLoopThread = Box(true)
        let loop = loopThread.loop

        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            let thread = Thread {
                for i in 0..<perThread {
                    let accepted = loop.execute {
                        if !loop.inLoopThread { onLoopThread.value = false }
                        seen.value[t].append(i)
                    }
                    precondition(accepted)
                }
                group.leave()
            }
            thread.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 20), .success)
        // Queued after every closure above, so it runs after all of them.
        let counts = try loopThread.sync { seen.value.map(\.count) }
        XCTAssertEqual(counts, [Int](repeating: perThread, count: threads))
        for t in 0..<threads {
            XCTAssertEqual(seen.value[t], Array(0..<perThread), "thread \(t) out of order")
        }
        XCTAssertTrue(onLoopThread.value)
        XCTAssertEqual(loopThread.stop(), 0)
    }

    func testWorkQueuedBeforeStopRunsAndLaterWorkIsRefused() throws {
        let loop = try EventLoop()
        let ran = Box(0)
        for _ in 0..<100 { loop.execute { ran.value += 1 } }
        loop.stop()
        loop.startOnNewThread()
        loop.waitUntilStopped()
        XCTAssertEqual(ran.value, 100)
        XCTAssertEqual(loop.loopCloseResult, 0)
        XCTAssertFalse(loop.execute { ran.value += 1 })
        loop.stop()  // idempotent after the end
    }

    func testRunOnCallingThreadReturnsZeroWhenStoppedFromTheLoop() throws {
        let loop = try EventLoop()
        let timer = LoopTimer(loop: loop) { loop.stop() }
        timer.start(after: .milliseconds(10))
        XCTAssertEqual(loop.run(), 0)
        XCTAssertEqual(loop.loopCloseResult, 0)
    }

    func testLoopThatNeverRanIsFreedWithoutTrouble() throws {
        for _ in 0..<10 {
            let loop = try EventLoop()
            loop.execute {}
        }
    }

    func testLoopClosesCleanlyAfterEverythingIsClosedByHand() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let closed = expectation(description: "both sides closed")
        closed.expectedFulfillmentCount = 2
        let parts = Box<(TCPListener?, TCPConnection?, LoopTimer?, SignalWatcher?)>((nil, nil, nil, nil))

        try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { server in
                server.onClose = { _ in closed.fulfill() }
            }
            let timer = LoopTimer(loop: loop) {}
            timer.start(after: .seconds(60), repeating: .seconds(60))
            let signals = try SignalWatcher(loop: loop, signals: [SIGUSR1]) { _ in }
            parts.value = (listener, nil, timer, signals)
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                if case .success(let client) = result {
                    client.onClose = { _ in closed.fulfill() }
                    parts.value.1 = client
                    // Peer sees EOF and closes its side too.
                    client.close()
                }
            }
        }
        wait(for: [closed], timeout: 5)
        try loopThread.sync {
            XCTAssertEqual(loop.openHandleCount(), 3)  // listener, timer, signal
            parts.value.0?.close()
            parts.value.2?.close()
            parts.value.3?.close()
        }
        // Close callbacks have run by the next turn of the loop.
        let remaining = try loopThread.sync { loop.openHandleCount() }
        XCTAssertEqual(remaining, 0)
        XCTAssertEqual(loopThread.stop(), 0)
    }

    func testStopClosesOpenHandlesAndReportsLoopStopped() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let reasons = Box<[CloseReason]>([])
        let connectResult = Box<Result<TCPConnection, TransportError>?>(nil)
        let connected = expectation(description: "connected")

        try loopThread.sync {
            let listener = try TCPListener.bind(loop: loop, host: "127.0.0.1", port: 0) { server in
                server.onClose = { reasons.value.append($0) }
            }
            TCPConnection.connect(loop: loop, host: "127.0.0.1", port: listener.port) { result in
                if case .success(let client) = result {
                    client.onClose = { reasons.value.append($0) }
                    connected.fulfill()
                }
            }
            LoopTimer(loop: loop) {}.start(after: .seconds(60))
        }
        wait(for: [connected], timeout: 5)
        // A connect still in progress when the loop stops must complete with ECANCELED.
        try loopThread.sync {
            TCPConnection.connect(loop: loop, host: "localhost", port: 9, timeout: .seconds(30)) {
                connectResult.value = $0
            }
        }
        XCTAssertEqual(loopThread.stop(), 0)
        XCTAssertEqual(reasons.value.count, 2)
        XCTAssertTrue(reasons.value.allSatisfy { $0 == .loopStopped }, "\(reasons.value)")
        // Either the loop stopped first (ECANCELED) or localhost:9 refused first; never left hanging.
        guard case .failure(let error)? = connectResult.value else {
            return XCTFail("connect completion not called: \(String(describing: connectResult.value))")
        }
        XCTAssertTrue(["ECANCELED", "ECONNREFUSED"].contains(error.name), "\(error)")
    }
}

final class EventLoopAsyncTests: XCTestCase {
    func testSubmitReturnsResultFromLoopThreadAndFailsAfterStop() async throws {
        let loop = try EventLoop()
        loop.startOnNewThread()
        let answer = try await loop.submit { loop.inLoopThread ? 42 : -1 }
        XCTAssertEqual(answer, 42)
        loop.stop()
        loop.waitUntilStopped()
        do {
            _ = try await loop.submit { 1 }
            XCTFail("submit after stop must throw")
        } catch let error as TransportError {
            XCTAssertEqual(error.name, "ECANCELED")
        }
    }
}
