import ChurnCore
import ChurnWire
import XCTest

final class MessageRoundTripTests: XCTestCase {
    private func roundTrip(_ message: Message, requestId: UInt64 = 99, flags: FrameFlags = [],
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = message.encode(requestId: requestId, flags: flags)
        let (frame, decoded) = try decodeOne(bytes)
        XCTAssertEqual(frame.type, message.type.rawValue, file: file, line: line)
        XCTAssertEqual(frame.requestId, requestId, file: file, line: line)
        XCTAssertEqual(frame.flags, flags, file: file, line: line)
        XCTAssertEqual(decoded, message, file: file, line: line)
        // And the same bytes again from the decoded message.
        XCTAssertEqual(decoded.encode(requestId: requestId, flags: flags), bytes, file: file, line: line)
    }

    func testEveryExampleRoundTrips() throws {
        XCTAssertEqual(Set(WireExamples.all.map(\.message.type)), Set(MessageType.allCases), "an example of every type")
        for example in WireExamples.all {
            try roundTrip(example.message, requestId: example.requestId, flags: example.flags)
        }
    }

    func testEmptyAndExtremeValues() throws {
        let zero = Bytes32.zero
        let maxHash = Bytes32([UInt8](repeating: 0xFF, count: 32))!
        try roundTrip(.hello(.init(versions: [], clientName: "", clientNonce: zero)))
        try roundTrip(.hello(.init(versions: [0, 1, 2, .max], clientName: "coördinator ✓ 🚀", clientNonce: maxHash)))
        try roundTrip(.helloOK(.init(version: .max, workerName: "", maxFrameSize: .max, maxShardsInFlight: 0,
                                     authRequired: false, serverNonce: zero)))
        try roundTrip(.modelStatus(.init(hash: maxHash, present: true)))
        try roundTrip(.loadModel(.init(hash: zero, json: [UInt8]())))
        try roundTrip(.scoreShard(.init(shardId: .max, attempt: .max, firstLine: .max, modelHash: zero, rankBy: .revenue,
                                        topK: .max, columns: [], rows: [UInt8](), withHistory: true)))
        try roundTrip(.scoreShard(.init(shardId: 0, attempt: 0, firstLine: 0, modelHash: zero, rankBy: .risk,
                                        topK: 0, columns: ["", "é"], rows: [UInt8]("x\r\n\"y\"".utf8))))
        try roundTrip(.shardResult(.init(shardId: 1, attempt: 2, rowCount: 0, csv: [], history: nil,
                                         aggregate: ScoreAggregate(topLimit: 0, rejectedLimit: 0))))
        try roundTrip(.shardResult(.init(shardId: 1, attempt: 2, rowCount: 0, csv: [],
                                         history: HistoryChunk(firstLine: 0, lastLine: 0, linesConsecutive: true, lowCount: 0,
                                                               mediumCount: 0, highCount: 0, columns: []),
                                         aggregate: ScoreAggregate(topLimit: 0, rejectedLimit: 0))))
        try roundTrip(.heartbeat(.init(sentAt: .max)))
        try roundTrip(.heartbeatAck(.init(sentAt: 0)))
        try roundTrip(.cancel(.init(shardId: .max)))
        try roundTrip(.stats(.init(uptimeSeconds: .nan, connections: .max, shardsScored: .max, rowsScored: 0,
                                   rowsRejected: 0, errors: 0, queueDepth: 0, shardsInFlight: 0, modelHashes: [],
                                   workerThreads: 0, protocolVersions: [])))
        try roundTrip(.stats(.init(uptimeSeconds: -.infinity, connections: 0, shardsScored: 0, rowsScored: 0,
                                   rowsRejected: 0, errors: 0, queueDepth: 0, shardsInFlight: 0,
                                   modelHashes: [zero, maxHash], workerThreads: 1, protocolVersions: [1, 2])))
        try roundTrip(.goodbye(.init(reason: "", unfinishedShardIds: [])))
        try roundTrip(.error(.init(code: ErrorCode(999), message: "a code from the future")))
    }

    func testAggregateWithNonFiniteDoublesRoundTrips() throws {
        var a = WireExamples.resultAggregate
        a.top[0].revenue = nil
        a.top[0].rankKey = -.infinity
        a.top[0].drivers = []
        a.healthHistogram = (0..<10).map { UInt64($0) << 60 }
        a.revenueCents = .min
        a.expectedLossCents = .max
        try roundTrip(.shardResult(.init(shardId: 3, attempt: 1, rowCount: 2, csv: WireExamples.resultCSV[...],
                                         history: WireExamples.resultHistory, aggregate: a)))
    }

    func testDriverDetailsOfEveryKindRoundTrip() throws {
        var a = WireExamples.resultAggregate
        a.top[0].drivers = [
            DriverImpact(name: "Contract=Month-to-month", impact: 0.9, direction: .is, value: .text("Month-to-month"),
                         typical: .text("Month-to-month")),
            DriverImpact(name: "MonthlyCharges low", impact: 0.4, direction: .low, value: .number(25.2), typical: .number(70.35)),
            DriverImpact(name: "legacy", impact: 0.1),
        ]
        try roundTrip(.shardResult(.init(shardId: 4, attempt: 0, rowCount: 2, csv: WireExamples.resultCSV[...], history: nil,
                                         aggregate: a)))
    }

    func testPayloadLayoutOfHello() {
        let hello = Message.Hello(versions: [1, 2], clientName: "ab", clientNonce: WireExamples.clientNonce)
        let expected: [UInt8] = [0, 0, 0, 2, 0, 1, 0, 2, 0, 0, 0, 2, 0x61, 0x62] + (0..<32).map { UInt8($0) }
        XCTAssertEqual(hello.encodedPayload(), expected)
    }

    func testFrameHeaderLayout() {
        let bytes = Message.heartbeat(.init(sentAt: 0x0102_0304_0506_0708)).encode(requestId: 0xAABB, flags: .endOfStream)
        XCTAssertEqual(Array(bytes[0..<4]), Array("CHRN".utf8))
        XCTAssertEqual(bytes[4], 1)
        XCTAssertEqual(bytes[5], 0x30)
        XCTAssertEqual(Array(bytes[6..<8]), [0, 1])
        XCTAssertEqual(Array(bytes[8..<16]), [0, 0, 0, 0, 0, 0, 0xAA, 0xBB])
        XCTAssertEqual(Array(bytes[16..<20]), [0, 0, 0, 8])
        let crc = CRC32C.checksum(bytes[24...])
        XCTAssertEqual(Array(bytes[20..<24]), [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        XCTAssertEqual(Array(bytes[24...]), [1, 2, 3, 4, 5, 6, 7, 8])
    }

    func testEncodeIntoExistingBufferAppends() throws {
        var buffer: [UInt8] = [9, 9, 9]
        Message.cancel(.init(shardId: 4)).encode(requestId: 1, into: &buffer)
        Message.heartbeat(.init(sentAt: 5)).encode(requestId: 2, into: &buffer)
        XCTAssertEqual(Array(buffer[..<3]), [9, 9, 9])
        let frames = try decodeAll([buffer[3...]])
        XCTAssertEqual(try frames.map(Message.decode), [.cancel(.init(shardId: 4)), .heartbeat(.init(sentAt: 5))])
    }

    func testFrameEncodeMatchesMessageEncode() {
        let m = Message.cancel(.init(shardId: 4))
        let frame = Frame(type: .cancel, requestId: 3, payload: m.content.encodedPayload())
        XCTAssertEqual(frame.encode(), m.encode(requestId: 3))
        XCTAssertEqual(Frame.encode(type: .cancel, requestId: 3, payload: m.content.encodedPayload()), m.encode(requestId: 3))
    }

    func testScoreShardHeadPlusRowsIsTheFrame() throws {
        guard case let .scoreShard(shard) = WireExamples.all.first(where: { $0.name == "SCORE_SHARD" })!.message else {
            return XCTFail()
        }
        let head = shard.encodeHead(requestId: 5)
        XCTAssertEqual(head + shard.rows, Message.scoreShard(shard).encode(requestId: 5))
    }

    func testDecodedScoreShardRowsShareTheFrameStorage() throws {
        let rows = [UInt8](repeating: 0x41, count: 1 << 20)
        let shard = Message.ScoreShard(shardId: 1, attempt: 0, firstLine: 2, modelHash: .zero, rankBy: .combined,
                                       topK: 1, columns: ["id"], rows: rows)
        let (frame, message) = try decodeOne(Message.scoreShard(shard).encode(requestId: 1))
        guard case let .scoreShard(decoded) = message else { return XCTFail() }
        frame.payload.withUnsafeBytes { p in
            decoded.rows.withUnsafeBytes { r in
                XCTAssertTrue(r.baseAddress! >= p.baseAddress! && r.baseAddress! + r.count <= p.baseAddress! + p.count,
                              "rows point into the payload")
            }
        }
    }

    // MARK: invalid fields

    private func assertMalformed(_ type: MessageType, _ payload: [UInt8], _ fragment: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Message.decode(Frame(type: type, requestId: 1, payload: payload)), file: file, line: line) { error in
            guard case let .malformedPayload(t, detail) = error as? WireError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(t, type.rawValue, file: file, line: line)
            XCTAssertTrue(detail.contains(fragment), "'\(detail)' lacks '\(fragment)'", file: file, line: line)
        }
    }

    func testInvalidUTF8IsMalformed() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], [0xE2, 0x82]] {
            assertMalformed(.goodbye, [0, 0, 0, UInt8(bad.count)] + bad + [0, 0, 0, 0], "UTF-8")
        }
    }

    func testBooleansMustBeZeroOrOne() {
        assertMalformed(.modelStatus, [UInt8](repeating: 0, count: 32) + [2], "0 or 1")
    }

    func testUnknownRankByIsMalformed() {
        var w = WireWriter()
        w.write(UInt64(1)); w.write(UInt32(0)); w.write(UInt64(2)); w.write(Bytes32.zero)
        w.write(UInt8(3))
        w.write(UInt16(1)); w.writeCount(0); w.writeBlob([UInt8]())
        assertMalformed(.scoreShard, w.bytes, "rank by")
    }

    func testHugeListCountIsRejectedBeforeAllocating() {
        assertMalformed(.hello, [0xFF, 0xFF, 0xFF, 0xFF, 0, 1], "cannot fit")
        assertMalformed(.goodbye, [0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF], "cannot fit")
    }

    func testHugeBlobLengthIsTruncation() {
        assertMalformed(.loadModel, [UInt8](repeating: 0, count: 32) + [0xFF, 0xFF, 0xFF, 0xFF, 1, 2], "truncated")
    }

    func testErrorCodeTable() {
        XCTAssertEqual(ErrorCode.allDefined.map(\.rawValue), Array(1...17))
        XCTAssertEqual(ErrorCode.allDefined.filter(\.closesConnection).map(\.rawValue), [1, 2, 3, 4, 6, 7, 14, 16, 17])
        XCTAssertEqual(ErrorCode(42).name, "ERROR_42")
    }

    /// A reference's range is inside its file only when offset + length ≤ size, computed without
    /// overflow (an offset near 2^64 must not wrap round to a small end).
    func testShardReferenceRangeIsCheckedWithoutOverflow() {
        let shard = Message.ScoreShard(shardId: 1, attempt: 0, firstLine: 2, modelHash: WireExamples.modelHash, rankBy: .risk,
                                       topK: 1, columns: ["a"], rows: [UInt8]())
        func ref(size: UInt64, offset: UInt64, length: UInt32) -> Message.ScoreShardReference {
            .init(shard: shard, device: 1, inode: 2, size: size, modifiedNanoseconds: 3, offset: offset, length: length)
        }
        XCTAssertTrue(ref(size: 100, offset: 0, length: 100).rangeIsInside)
        XCTAssertTrue(ref(size: 100, offset: 60, length: 40).rangeIsInside)
        XCTAssertFalse(ref(size: 100, offset: 61, length: 40).rangeIsInside)
        XCTAssertFalse(ref(size: 100, offset: 101, length: 0).rangeIsInside)
        XCTAssertFalse(ref(size: 100, offset: UInt64.max - 10, length: 20).rangeIsInside)
        // The rows given to the initializer are dropped: a reference carries none.
        var withRows = shard
        withRows.rows = [1, 2, 3]
        XCTAssertTrue(Message.ScoreShardReference(shard: withRows, device: 1, inode: 2, size: 3, modifiedNanoseconds: 4, offset: 0,
                                                  length: 3).shard.rows.isEmpty)
    }

    func testBytes32() {
        let h = WireExamples.modelHash
        XCTAssertEqual(Bytes32(hex: h.hex), h)
        XCTAssertEqual(Bytes32(h.bytes), h)
        XCTAssertNil(Bytes32([1, 2, 3]))
        XCTAssertNil(Bytes32(hex: "zz"))
        XCTAssertNotEqual(Bytes32.random(), Bytes32.random())
    }

    func testExampleHashesAreReal() {
        XCTAssertEqual(TestCrypto.sha256(WireExamples.exampleModelJSON), WireExamples.modelHash.bytes)
    }
}

final class ErrorFrameTests: XCTestCase {
    func testErrorFrameFlagsFollowTheCode() throws {
        let closing = try decodeOne(Message.errorFrame(.badChecksum, "bad crc", requestId: 0))
        XCTAssertEqual(closing.0.flags, .endOfStream)
        XCTAssertEqual(closing.1, .error(.init(code: .badChecksum, message: "bad crc")))
        let open = try decodeOne(Message.errorFrame(.unknownModel, "load it", requestId: 12))
        XCTAssertEqual(open.0.flags, [])
        XCTAssertEqual(open.0.requestId, 12)
    }
}

/// Version 5's spooled result names a plain file of the spool directory and nothing else.
final class SpooledShardResultTests: XCTestCase {
    private func frame(file: String) -> [UInt8] {
        let result = Message.ShardResult(shardId: 1, attempt: 0, rowCount: 0, csv: [], history: nil,
                                         aggregate: ScoreAggregate(topLimit: 1))
        var spooled = Message.SpooledShardResult(result: result, file: "ok", csvLength: 0)
        spooled.file = file
        return spooled.encodedPayload()
    }

    func testPathsAndSpecialNamesAreMalformed() {
        for bad in ["../x", "a/b", "/etc/passwd", ".", "..", "", "a\u{0}b", String(repeating: "x", count: 256)] {
            XCTAssertThrowsError(try Message.SpooledShardResult(decoding: frame(file: bad)), bad) { error in
                XCTAssertEqual((error as? WireError)?.code, .malformedFrame, "\(bad): \(error)")
            }
        }
        for good in ["4243-1-7-0", "...x", String(repeating: "x", count: 255)] {
            XCTAssertEqual(try Message.SpooledShardResult(decoding: frame(file: good)).file, good)
        }
    }

    func testTheCSVLengthMustFitTheRowCount() throws {
        let result = Message.ShardResult(shardId: 1, attempt: 0, rowCount: 0, csv: [], history: nil, aggregate: ScoreAggregate(topLimit: 1))
        let payload = Message.SpooledShardResult(result: result, file: "f", csvLength: 5).encodedPayload()
        XCTAssertThrowsError(try Message.SpooledShardResult(decoding: payload))
    }
}
