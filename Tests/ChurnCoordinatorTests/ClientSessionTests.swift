@testable import ChurnCoordinator
import ChurnIO
import ChurnWire
import XCTest

/// The client session core against a real server handshake, frames passed by hand, time moved by hand.
final class ClientSessionTests: XCTestCase {
    private let ms: UInt64 = 1_000_000
    private let secret = Array("pool secret".utf8)

    private func server(secret: [UInt8]?) -> ServerHandshake {
        ServerHandshake(configuration: .init(name: "w1", maxFrameSize: 1 << 20, maxShardsInFlight: 3, secret: secret),
                        serverNonce: .random(), mac: HMACSHA256.mac)
    }

    /// Plays the handshake through encoded frames; returns the client's actions after the last reply.
    private func handshake(_ client: inout ClientSession, _ server: inout ServerHandshake, now: UInt64) throws -> [ClientSession.Action] {
        var outbox = client.start()
        var last: [ClientSession.Action] = []
        while case let .send(message, requestId)? = outbox.first {
            outbox.removeFirst()
            var decoder = FrameDecoder()
            decoder.feed(message.encode(requestId: requestId))
            guard let frame = try decoder.next() else { throw WireError.malformedPayload(type: 0, detail: "no frame") }
            let decoded = try Message.decode(frame)
            switch server.received(decoded, requestId: requestId) {
            case let .send(reply, id), let .sendAndEstablish(reply, id, _):
                last = client.received(reply, requestId: id, now: now)
            case let .sendErrorAndClose(code, text, id):
                last = client.received(.error(.init(code: code, message: text)), requestId: id, now: now)
            case .establish, .close, .forward:
                return last
            }
            outbox = last.filter { if case .send = $0 { return true } else { return false } }
        }
        return last
    }

    func testHandshakeEstablishesThenRequestIdsAreFreshAndHeartbeatsFlow() throws {
        var client = ClientSession(name: "coord", secret: secret, heartbeatTimeout: 5000 * ms, now: 0)
        var s = server(secret: secret)
        XCTAssertTrue(client.tick(now: 600 * ms).isEmpty, "no heartbeat before the handshake is done")
        let actions = try handshake(&client, &s, now: 10 * ms)
        guard case .established(let session)? = actions.last else { return XCTFail("\(actions)") }
        XCTAssertEqual(session.maxShardsInFlight, 3)
        XCTAssertTrue(session.authenticated)
        let a = client.takeRequestId(), b = client.takeRequestId()
        XCTAssertGreaterThan(a, 2, "ids after the handshake's own")
        XCTAssertEqual(b, a + 1)
        guard case .send(.heartbeat, _)? = client.tick(now: 700 * ms).first else { return XCTFail("heartbeat expected") }
        // After the handshake, worker messages are handed over.
        guard case .deliver(.modelStatus, 9)? = client.received(.modelStatus(.init(hash: ModelHash([UInt8](repeating: 1, count: 32))!, present: true)),
                                                               requestId: 9, now: 800 * ms).first else { return XCTFail() }
    }

    func testWrongSecretIsRefusedForGood() throws {
        var client = ClientSession(name: "coord", secret: secret, heartbeatTimeout: 5000 * ms, now: 0)
        var s = server(secret: Array("another".utf8))
        let actions = try handshake(&client, &s, now: 0)
        guard case .refuse(let reason)? = actions.last else { return XCTFail("\(actions)") }
        XCTAssertFalse(reason.isEmpty)
        XCTAssertTrue(client.isRefused)
        XCTAssertFalse(client.isEstablished)
    }

    func testSilentWorkerIsDroppedAfterTheTimeout() throws {
        var client = ClientSession(name: "coord", secret: nil, heartbeatTimeout: 5000 * ms, now: 0)
        var s = server(secret: nil)
        _ = try handshake(&client, &s, now: 100 * ms)
        XCTAssertTrue(client.isEstablished)
        // Heard at 100 ms; ticks at 5100 ms are still in time, at 5101 ms the worker is dropped.
        XCTAssertFalse(client.tick(now: 5100 * ms).contains { if case .drop = $0 { return true } else { return false } })
        guard case .drop(let reason)? = client.tick(now: 5101 * ms).first else { return XCTFail("drop expected") }
        XCTAssertEqual(reason, "no answer for 5001 ms")
    }

    func testHeartbeatAckGivesTheRoundTrip() throws {
        var client = ClientSession(name: "coord", secret: nil, heartbeatTimeout: 5000 * ms, now: 0)
        var s = server(secret: nil)
        _ = try handshake(&client, &s, now: 0)
        guard case let .send(.heartbeat(beat), _)? = client.tick(now: 1000 * ms).first else { return XCTFail() }
        _ = client.received(.heartbeatAck(.init(sentAt: beat.sentAt)), requestId: 0, now: 1012 * ms)
        XCTAssertEqual(client.liveness.roundTrip, 12 * ms)
    }
}
