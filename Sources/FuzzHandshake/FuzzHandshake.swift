import ChurnCore
import ChurnWire

// Input layout: first byte = configuration. Bit 0: the worker has a secret; bit 1: the client has one;
// bit 2: drive the client machine (else the worker's); bits 3–4: which version lists the sides speak.
// The rest is a sequence of messages from the peer, each as type u8, payload length u16 BE, payload
// (no frame header or CRC, so the fuzzer can build valid messages easily). Undecodable ones are skipped.
//
// Invariants checked:
// - a worker with a secret is established only right after an AUTH whose proof is the correct one;
//   a client with a secret only right after an AUTH_OK with the correct worker proof;
// - an established session is authenticated exactly when a secret is configured;
// - after a machine closes it only ever answers `.close`; once established it never re-establishes.

private let secret = Array("fuzz-secret".utf8)
private let clientNonce = Bytes32((0..<32).map { UInt8($0) })!
private let serverNonce = Bytes32((0..<32).map { UInt8(0x80 + $0) })!
private let versionSets: [[UInt16]] = [[1], [1, 2], [2, 3], []]

/// A deterministic stand-in for HMAC-SHA256 (the fuzz target has no crypto library). Not secure; it
/// only needs to depend on every input byte.
let toyMAC: HandshakeMAC = { key, message in
    var out: [UInt8] = []
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for round in 0..<4 {
        h ^= UInt64(round)
        for b in key + [0xFF] + message {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01B3
        }
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: h >> (8 * UInt64(i)))) }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard size >= 1 else { return 0 }
    let config = input[0]
    let serverSecret = config & 1 != 0 ? secret : nil
    let clientSecret = config & 2 != 0 ? secret : nil
    let driveClient = config & 4 != 0
    let serverVersions = versionSets[Int(config >> 3) & 3]
    let clientVersions = versionSets[(Int(config >> 3) + 1) & 3]
    var messages: [(Message, UInt64)] = []
    var i = 1
    var requestId: UInt64 = 1
    while i + 3 <= size {
        let type = input[i]
        let length = Int(input[i + 1]) << 8 | Int(input[i + 2])
        i += 3
        guard i + length <= size else { break }
        let payload = Array(input[i..<i + length])
        i += length
        if let m = try? Message.decode(Frame(type: type, requestId: requestId, payload: payload[...])) {
            messages.append((m, requestId))
            if type & 1 == 0 { requestId &+= 1 }  // vary ids a little: responses may or may not match
        }
    }
    if driveClient {
        runClient(secret: clientSecret, versions: clientVersions, messages)
    } else {
        runServer(secret: serverSecret, versions: serverVersions, messages)
    }
    return 0
}

private func runServer(secret: [UInt8]?, versions: [UInt16], _ messages: [(Message, UInt64)]) {
    var s = ServerHandshake(configuration: .init(versions: versions, name: "fuzz-worker", maxShardsInFlight: 2, secret: secret),
                            serverNonce: serverNonce, mac: toyMAC)
    var closed = false, established = false
    var clientNonceSeen: Bytes32?
    for (message, id) in messages {
        if case let .hello(h) = message, s.state == .awaitingHello { clientNonceSeen = h.clientNonce }
        let action = s.received(message, requestId: id)
        if closed {
            guard case .close = action else { preconditionFailure("closed worker acted: \(action)") }
            continue
        }
        switch action {
        case .sendErrorAndClose, .close:
            closed = true
        case let .sendAndEstablish(_, _, session), let .establish(session):
            precondition(!established, "worker established twice")
            established = true
            precondition(session.authenticated == (secret != nil))
            if let secret {
                guard case let .auth(auth) = message, let nonce = clientNonceSeen else {
                    preconditionFailure("worker with a secret established without AUTH")
                }
                let expected = HandshakeAuth.clientProof(secret: secret, serverNonce: serverNonce, clientNonce: nonce, mac: toyMAC)
                precondition(auth.proof.bytes == expected, "worker accepted a wrong proof")
            } else {
                guard case .hello = message else { preconditionFailure("worker established without HELLO") }
            }
        case .send:
            precondition(!established, "worker sent a handshake message after establishing")
        case .forward:
            precondition(established, "worker forwarded before establishing")
        }
    }
}

private func runClient(secret: [UInt8]?, versions: [UInt16], _ messages: [(Message, UInt64)]) {
    var c = ClientHandshake(configuration: .init(versions: versions, name: "fuzz-client", secret: secret),
                            clientNonce: clientNonce, mac: toyMAC)
    guard case .send(.hello, 1) = c.start() else { preconditionFailure("start must send HELLO") }
    var closed = false, established = false
    var serverNonceSeen: Bytes32?
    for (message, id) in messages {
        if case let .helloOK(ok) = message, c.state == .awaitingHelloOK { serverNonceSeen = ok.serverNonce }
        let action = c.received(message, requestId: id)
        if closed {
            guard case .close = action else { preconditionFailure("closed client acted: \(action)") }
            continue
        }
        switch action {
        case .sendErrorAndClose, .close:
            closed = true
        case .sendAndEstablish:
            preconditionFailure("the client never sends and establishes at once")
        case let .establish(session):
            precondition(!established, "client established twice")
            established = true
            precondition(session.authenticated == (secret != nil))
            precondition(versions.contains(session.version), "client accepted a version it did not offer")
            if let secret {
                guard case let .authOK(ok) = message, let nonce = serverNonceSeen else {
                    preconditionFailure("client with a secret established without AUTH_OK")
                }
                let expected = HandshakeAuth.serverProof(secret: secret, clientNonce: clientNonce, serverNonce: nonce, mac: toyMAC)
                precondition(ok.proof.bytes == expected, "client accepted a wrong worker proof")
            }
        case let .send(m, _):
            precondition(!established)
            guard case .auth = m else { preconditionFailure("client sent \(m.type.name) during the handshake") }
        case .forward:
            precondition(established, "client forwarded before establishing")
        }
    }
}

/// Seeds: honest conversations for every configuration, from either side.
func seedInputs() -> [(String, [UInt8])] {
    func entry(_ m: Message) -> [UInt8] {
        let payload = m.content.encodedPayload()
        return [m.type.rawValue, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }
    var seeds: [(String, [UInt8])] = []
    for config in UInt8(0)..<32 {
        let serverVersions = versionSets[Int(config >> 3) & 3]
        let clientVersions = versionSets[(Int(config >> 3) + 1) & 3]
        let hello = Message.hello(.init(versions: clientVersions, clientName: "c", clientNonce: clientNonce))
        let auth = Message.auth(.init(proof: Bytes32(HandshakeAuth.clientProof(secret: secret, serverNonce: serverNonce,
                                                                                clientNonce: clientNonce, mac: toyMAC))!))
        let helloOK = Message.helloOK(.init(version: serverVersions.filter(clientVersions.contains).max() ?? 1, workerName: "w",
                                            maxFrameSize: 1 << 20, maxShardsInFlight: 2, authRequired: config & 1 != 0,
                                            serverNonce: serverNonce))
        let authOK = Message.authOK(.init(proof: Bytes32(HandshakeAuth.serverProof(secret: secret, clientNonce: clientNonce,
                                                                                   serverNonce: serverNonce, mac: toyMAC))!))
        let after = Message.heartbeat(.init(sentAt: 1))
        let conversation: [Message] = config & 4 == 0 ? [hello, auth, after, hello] : [helloOK, authOK, after, helloOK]
        seeds.append((String(format: "config-%02d", config), [config] + conversation.flatMap(entry)))
    }
    return seeds
}
