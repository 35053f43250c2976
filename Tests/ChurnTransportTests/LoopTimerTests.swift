import ChurnTransport
import Foundation
import XCTest

final class LoopTimerTests: XCTestCase {
    func testOneShotAndRepeatingTimersFire() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let oneShot = expectation(description: "one-shot")
        let repeating = expectation(description: "repeating x5")
        repeating.expectedFulfillmentCount = 5
        let oneShotElapsed = Box(0.0)
        let started = monotonicSeconds()
        let ticks = Box(0)
        try loopThread.sync {
            LoopTimer.once(loop: loop, after: .milliseconds(50)) {
                oneShotElapsed.value = monotonicSeconds() - started
                oneShot.fulfill()
            }
            let timer = Box<LoopTimer?>(nil)
            timer.value = LoopTimer(loop: loop) {
                ticks.value += 1
                repeating.fulfill()
                if ticks.value == 5 { timer.value?.close() }
            }
            timer.value!.start(after: .milliseconds(5), repeating: .milliseconds(10))
        }
        wait(for: [oneShot, repeating], timeout: 5)
        XCTAssertGreaterThanOrEqual(oneShotElapsed.value, 0.045)
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(try loopThread.sync { ticks.value }, 5, "a closed timer fired again")
        XCTAssertEqual(try loopThread.sync { loop.openHandleCount() }, 0, "one-shot timers close themselves")
        XCTAssertEqual(loopThread.stop(), 0)
    }

    /// Re-arming pushes the deadline back: the idle-timeout pattern.
    func testRestartPushesTheDeadlineBack() throws {
        let loopThread = try LoopThread()
        let loop = loopThread.loop
        let fired = expectation(description: "fired")
        let firedAt = Box(0.0)
        let started = monotonicSeconds()
        let timer = try loopThread.sync { () -> LoopTimer in
            let timer = LoopTimer(loop: loop) {
                firedAt.value = monotonicSeconds() - started
                fired.fulfill()
            }
            timer.start(after: .milliseconds(150))
            return timer
        }
        Thread.sleep(forTimeInterval: 0.1)
        try loopThread.sync {
            XCTAssertTrue(timer.isActive)
            timer.start(after: .milliseconds(150))
        }
        wait(for: [fired], timeout: 5)
        XCTAssertGreaterThanOrEqual(firedAt.value, 0.24)
        try loopThread.sync {
            XCTAssertFalse(timer.isActive)
            timer.stop()
            timer.close()
            timer.close()
        }
        XCTAssertEqual(loopThread.stop(), 0)
    }
}
