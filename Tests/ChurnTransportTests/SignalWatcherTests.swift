import ChurnTransport
import Foundation
import XCTest

final class SignalWatcherTests: XCTestCase {
    func testSignalRunsHandlerOnLoopThread() throws {
        SignalWatcher.ignoreSIGPIPE()
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let got = expectation(description: "signal")
        let received = Box<(Int32, Bool)?>(nil)
        try loopThread.sync {
            _ = try SignalWatcher(loop: loop, signals: [SIGUSR2]) { signal in
                received.value = (signal, loop.inLoopThread)
                got.fulfill()
            }
        }
        kill(getpid(), SIGUSR2)
        wait(for: [got], timeout: 5)
        XCTAssertEqual(received.value?.0, SIGUSR2)
        XCTAssertEqual(received.value?.1, true)
        XCTAssertEqual(loopThread.stop(), 0)
    }
}
