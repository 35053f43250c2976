import ChurnWire
import XCTest

final class HandshakeTests: XCTestCase {
    private let mac: HandshakeMAC = { TestCrypto.hmac(key: $0, message: $1) }
    private let secret = Array("s3cret".utf8)
    private let clientNonce = Bytes32((0..<32).map { UInt8($0) })!
    private let serverNonce = Bytes32((100..<132).map { UInt8($0) })!

    private func server(secret: [UInt8]?, versions: [UInt16] = [1]) -> ServerHandshake {
        ServerHandshake(configuration: .init(versions: versions, name: "w1", maxFrameSize: 1 << 20, maxShardsInFlight: 4, secret: secret),
                        serverNonce: serverNonce, mac: mac)
    }

    private func client(secret: [UInt8]?, versions: [UInt16] = [1]) -> ClientHandshake {
        ClientHandshake(configuration: .init(versions: versions, name: "coord", secret: secret), clientNonce: clientNonce, mac: mac)
    }

    /// Runs both machines against each other through real frames until one closes or both are established.
    private func converse(_ c: inout ClientHandshake, _ s: inout ServerHandshake) throws -> [String] {
        var log: [String] = []
        var toServer: [(Message, UInt64)] = []
        var toClient: [(Message, UInt64)] = []
        func wire(_ m: Message, _ id: UInt64) throws -> (Message, UInt64) {
            let (frame, decoded) = try decodeOne(m.encode(requestId: id))
            return (decoded, frame.requestId)
        }
        func handle(_ action: HandshakeAction, side: String, outbox: inout [(Message, UInt64)]) throws -> Bool {
            switch action {
            case let .send(m, id):
                log.append("\(side) sends \(m.type.name)")
                outbox.append(try wire(m, id))
            case let .sendAndEstablish(m, id, session):
                log.append("\(side) sends \(m.type.name), established v\(session.version)")
                outbox.append(try wire(m, id))
            case let .establish(session):
                log.append("\(side) established v\(session.version)")
            case let .sendErrorAndClose(code, text, id):
                log.append("\(side) error \(code.rawValue): \(text)")
                outbox.append(try wire(.error(.init(code: code, message: text)), id))
                return false
            case let .close(reason):
                log.append("\(side) closes: \(reason)")
                return false
            case .forward:
                log.append("\(side) forwards")
            }
            return true
        }
        guard try handle(c.start(), side: "client", outbox: &toServer) else { return log }
        var open = true
        while open && (!toServer.isEmpty || !toClient.isEmpty) {
            if !toServer.isEmpty {
                let (m, id) = toServer.removeFirst()
                open = try handle(s.received(m, requestId: id), side: "server", outbox: &toClient)
                // A closing side still delivers its ERROR to the other.
                if !open, let (e, eid) = toClient.first { _ = try handle(c.received(e, requestId: eid), side: "client", outbox: &toServer) }
            } else {
                let (m, id) = toClient.removeFirst()
                open = try handle(c.received(m, requestId: id), side: "client", outbox: &toServer)
                if !open, let (e, eid) = toServer.first { _ = try handle(s.received(e, requestId: eid), side: "server", outbox: &toClient) }
            }
        }
        return log
    }

    func testTestHMACMatchesRFC4231() {
        // RFC 4231 test case 2.
        XCTAssertEqual(hex(TestCrypto.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        XCTAssertEqual(hex(TestCrypto.sha256(Array("abc".utf8))),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testExampleProofsInTheDocsAreRealHMACs() {
        XCTAssertEqual(HandshakeAuth.clientProof(secret: WireExamples.exampleSecret, serverNonce: WireExamples.serverNonce,
                                                 clientNonce: WireExamples.clientNonce, mac: mac), WireExamples.clientProof.bytes)
        XCTAssertEqual(HandshakeAuth.serverProof(secret: WireExamples.exampleSecret, clientNonce: WireExamples.clientNonce,
                                                 serverNonce: WireExamples.serverNonce, mac: mac), WireExamples.serverProof.bytes)
    }

    func testSuccessWithoutSecret() throws {
        var c = client(secret: nil), s = server(secret: nil)
        let log = try converse(&c, &s)
        XCTAssertEqual(log, ["client sends HELLO", "server sends HELLO_OK, established v1", "client established v1"])
        XCTAssertEqual(c.session, HandshakeSession(version: 1, peerName: "w1", maxFrameSize: 1 << 20, maxShardsInFlight: 4, authenticated: false))
        XCTAssertEqual(s.session?.peerName, "coord")
        XCTAssertEqual(s.session?.authenticated, false)
        XCTAssertEqual(c.nextRequestId, 2)
    }

    func testSuccessWithSecret() throws {
        var c = client(secret: secret), s = server(secret: secret)
        let log = try converse(&c, &s)
        XCTAssertEqual(log, ["client sends HELLO", "server sends HELLO_OK", "client sends AUTH",
                             "server sends AUTH_OK, established v1", "client established v1"])
        XCTAssertEqual(c.session?.authenticated, true)
        XCTAssertEqual(s.session?.authenticated, true)
        XCTAssertEqual(c.nextRequestId, 3)
        // After the handshake, everything else goes to the connection.
        XCTAssertEqual(s.received(.heartbeat(.init(sentAt: 1)), requestId: 3), .forward(.heartbeat(.init(sentAt: 1)), requestId: 3))
        XCTAssertEqual(c.received(.heartbeatAck(.init(sentAt: 1)), requestId: 3), .forward(.heartbeatAck(.init(sentAt: 1)), requestId: 3))
    }

    func testWrongSecret() throws {
        var c = client(secret: Array("guess".utf8)), s = server(secret: secret)
        let log = try converse(&c, &s)
        XCTAssertTrue(log.contains("server error 6: authentication failed"), "\(log)")
        XCTAssertEqual(log.last, "client closes: worker refused the handshake: error 6 AUTHENTICATION_FAILED: authentication failed")
        XCTAssertEqual(s.state, .closed)
        XCTAssertNil(s.session)
        XCTAssertNil(c.session)
    }

    func testClientWithoutSecretAgainstWorkerWithOne() throws {
        var c = client(secret: nil), s = server(secret: secret)
        let log = try converse(&c, &s)
        XCTAssertTrue(log.contains("client error 6: worker requires authentication, but this client has no secret"), "\(log)")
        XCTAssertEqual(log.last, "server closes: client sent error 6 AUTHENTICATION_FAILED: worker requires authentication, but this client has no secret")
        XCTAssertNil(c.session)
    }

    func testClientWithSecretRefusesAWorkerThatDoesNotAuthenticate() throws {
        var c = client(secret: secret), s = server(secret: nil)
        let log = try converse(&c, &s)
        XCTAssertTrue(log.contains { $0.hasPrefix("client error 6: worker does not authenticate itself") }, "\(log)")
        XCTAssertNil(c.session)
    }

    func testNoCommonVersion() throws {
        var c = client(secret: nil, versions: [7]), s = server(secret: nil, versions: [1])
        let log = try converse(&c, &s)
        XCTAssertEqual(log[1], "server error 2: no common protocol version; worker speaks [1], client speaks [7]")
        XCTAssertEqual(log.last, "client closes: worker refused the handshake: error 2 UNSUPPORTED_VERSION: no common protocol version; worker speaks [1], client speaks [7]")
    }

    func testHighestCommonVersionIsChosen() throws {
        var c = client(secret: nil, versions: [1, 2, 3]), s = server(secret: nil, versions: [1, 2, 4])
        _ = try converse(&c, &s)
        XCTAssertEqual(c.session?.version, 2)
        XCTAssertEqual(s.session?.version, 2)
    }

    func testMessageBeforeHello() {
        var s = server(secret: nil)
        let action = s.received(.scoreShard(.init(shardId: 1, attempt: 0, firstLine: 2, modelHash: .zero, rankBy: .risk,
                                                  topK: 1, columns: [], rows: [UInt8]())), requestId: 5)
        guard case let .sendErrorAndClose(code, text, id) = action else { return XCTFail("\(action)") }
        XCTAssertEqual(code, .notAuthenticated)
        XCTAssertEqual(id, 5)
        XCTAssertTrue(text.contains("SCORE_SHARD before the handshake finished"), text)
        XCTAssertEqual(s.received(.hello(.init(versions: [1], clientName: "x", clientNonce: clientNonce))), .close("handshake already failed"))
    }

    func testMessageBeforeAuth() {
        var s = server(secret: secret)
        guard case .send(.helloOK, 1) = s.received(.hello(.init(versions: [1], clientName: "x", clientNonce: clientNonce)), requestId: 1) else {
            return XCTFail()
        }
        guard case .sendErrorAndClose(.notAuthenticated, _, 2) = s.received(.modelCheck(.init(hash: .zero)), requestId: 2) else {
            return XCTFail()
        }
        XCTAssertEqual(s.state, .closed)
    }

    func testClientRejectsABadServerProof() {
        var c = client(secret: secret)
        guard case .send(.hello, 1) = c.start() else { return XCTFail() }
        let ok = Message.HelloOK(version: 1, workerName: "impostor", maxFrameSize: 1 << 20, maxShardsInFlight: 1,
                                 authRequired: true, serverNonce: serverNonce)
        guard case let .send(.auth(auth), 2) = c.received(.helloOK(ok), requestId: 1) else { return XCTFail() }
        XCTAssertEqual(auth.proof.bytes, HandshakeAuth.clientProof(secret: secret, serverNonce: serverNonce, clientNonce: clientNonce, mac: mac))
        // The impostor echoes the client's proof back, or makes one up: both fail.
        var c2 = c
        XCTAssertEqual(c.received(.authOK(.init(proof: auth.proof)), requestId: 2),
                       .sendErrorAndClose(.authenticationFailed, "worker failed to prove it knows the secret", requestId: 0))
        XCTAssertEqual(c2.received(.authOK(.init(proof: Bytes32.zero)), requestId: 2),
                       .sendErrorAndClose(.authenticationFailed, "worker failed to prove it knows the secret", requestId: 0))
        XCTAssertNil(c.session)
    }

    /// Protocol version 4 moved result formatting to the worker: a version 3 peer cannot be served
    /// (it would expect binary result rows), so it is refused like any peer with no common version.
    func testVersionThreePeersAreRefusedByDefault() {
        var s = ServerHandshake(configuration: .init(name: "w", maxShardsInFlight: 1, secret: nil), serverNonce: serverNonce, mac: mac)
        guard case let .sendErrorAndClose(.unsupportedVersion, text, 1) = s.received(
            .hello(.init(versions: [3], clientName: "old", clientNonce: clientNonce)), requestId: 1) else { return XCTFail() }
        XCTAssertTrue(text.contains("[4, 5, 6]"), text)
        var c = ClientHandshake(configuration: .init(name: "new", secret: nil), clientNonce: clientNonce, mac: mac)
        guard case let .send(.hello(hello), _) = c.start() else { return XCTFail() }
        XCTAssertEqual(hello.versions, [4, 5, 6])
        let old = Message.HelloOK(version: 3, workerName: "old", maxFrameSize: 1 << 20, maxShardsInFlight: 1, authRequired: false,
                                  serverNonce: serverNonce)
        guard case .sendErrorAndClose(.unsupportedVersion, _, _) = c.received(.helloOK(old), requestId: 1) else { return XCTFail() }
    }

    func testClientRejectsAVersionItDidNotOffer() {
        var c = client(secret: nil, versions: [1])
        _ = c.start()
        let ok = Message.HelloOK(version: 3, workerName: "w", maxFrameSize: 1, maxShardsInFlight: 1, authRequired: false, serverNonce: serverNonce)
        guard case .sendErrorAndClose(.unsupportedVersion, _, _) = c.received(.helloOK(ok), requestId: 1) else { return XCTFail() }
    }

    func testClientRejectsAResponseToAnotherRequest() {
        var c = client(secret: nil)
        _ = c.start()
        let ok = Message.HelloOK(version: 1, workerName: "w", maxFrameSize: 1, maxShardsInFlight: 1, authRequired: false, serverNonce: serverNonce)
        guard case .sendErrorAndClose(.malformedFrame, _, _) = c.received(.helloOK(ok), requestId: 77) else { return XCTFail() }
    }

    func testReplayedAuthFailsWithAFreshServerNonce() {
        // An eavesdropper replays a recorded AUTH on a new connection: the new nonce makes it useless.
        var first = server(secret: secret)
        _ = first.received(.hello(.init(versions: [1], clientName: "c", clientNonce: clientNonce)), requestId: 1)
        let recorded = HandshakeAuth.clientProof(secret: secret, serverNonce: serverNonce, clientNonce: clientNonce, mac: mac)
        guard case .sendAndEstablish = first.received(.auth(.init(proof: Bytes32(recorded)!)), requestId: 2) else { return XCTFail() }

        var second = ServerHandshake(configuration: first.configuration, serverNonce: Bytes32.random(), mac: mac)
        _ = second.received(.hello(.init(versions: [1], clientName: "c", clientNonce: clientNonce)), requestId: 1)
        guard case .sendErrorAndClose(.authenticationFailed, _, _) = second.received(.auth(.init(proof: Bytes32(recorded)!)), requestId: 2) else {
            return XCTFail()
        }
    }

    func testHelloAfterEstablishedIsAProtocolError() throws {
        var c = client(secret: nil), s = server(secret: nil)
        _ = try converse(&c, &s)
        guard case .sendErrorAndClose(.malformedFrame, _, _) = s.received(.hello(.init(versions: [1], clientName: "x", clientNonce: clientNonce))) else {
            return XCTFail()
        }
    }

    func testGoodbyeDuringHandshakeCloses() {
        var s = server(secret: secret)
        guard case .close = s.received(.goodbye(.init(reason: "bye"))) else { return XCTFail() }
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(constantTimeEquals([UInt8](), [UInt8]()))
        XCTAssertTrue(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(constantTimeEquals([0, 2, 3], [1, 2, 3]))
        XCTAssertFalse(constantTimeEquals([1, 2], [1, 2, 3]))
    }

    func testMACOfWrongLengthFailsSafely() {
        var s = ServerHandshake(configuration: .init(name: "w", maxShardsInFlight: 1, secret: secret), serverNonce: serverNonce,
                                mac: { _, _ in [1, 2, 3] })
        _ = s.received(.hello(.init(versions: [4], clientName: "c", clientNonce: clientNonce)), requestId: 1)
        guard case .sendErrorAndClose(.authenticationFailed, _, _) = s.received(.auth(.init(proof: .zero)), requestId: 2) else {
            return XCTFail()
        }
    }
}
