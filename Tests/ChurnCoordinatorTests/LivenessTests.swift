import ChurnCoordinator
import XCTest

/// Heartbeats and the silence timeout, with time moved by hand.
final class LivenessTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testHeartbeatsAtTheIntervalOnlyAfterTheHandshake() {
        var l = Liveness(interval: 500 * ms, timeout: 5000 * ms, now: 0)
        XCTAssertEqual(l.tick(now: 100 * ms, canSend: false), .none, "no heartbeat during the handshake")
        XCTAssertEqual(l.tick(now: 200 * ms), .sendHeartbeat(sentAt: 200 * ms))
        XCTAssertEqual(l.tick(now: 600 * ms), .none, "not again within the interval")
        l.acknowledged(sentAt: 200 * ms, now: 230 * ms)
        XCTAssertEqual(l.roundTrip, 30 * ms)
        XCTAssertEqual(l.tick(now: 700 * ms), .sendHeartbeat(sentAt: 700 * ms))
    }

    func testSilenceLongerThanTheTimeoutDropsThePeer() {
        var l = Liveness(interval: 500 * ms, timeout: 5000 * ms, now: 0)
        l.heard(now: 1000 * ms)
        XCTAssertEqual(l.tick(now: 6000 * ms), .sendHeartbeat(sentAt: 6000 * ms), "exactly at the limit is still alive")
        XCTAssertEqual(l.tick(now: 6001 * ms), .timeout(silentMs: 5001))
        l.heard(now: 6002 * ms)
        XCTAssertNotEqual(l.tick(now: 6100 * ms), .timeout(silentMs: 0))
    }
}
