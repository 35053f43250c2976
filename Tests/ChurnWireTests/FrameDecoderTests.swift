import ChurnWire
import XCTest

final class FrameDecoderTests: XCTestCase {
    private var stream: [UInt8] { WireExamples.all.flatMap { $0.encode() } }

    func testOneFrameSplitAtEveryPoint() throws {
        let frame = WireExamples.all.first { $0.name == "SHARD_RESULT" }!.encode()
        let expected = try decodeAll([frame[...]])
        XCTAssertEqual(expected.count, 1)
        for split in 0...frame.count {
            let frames = try decodeAll([frame[..<split], frame[split...]])
            XCTAssertEqual(frames, expected, "split at \(split)")
        }
    }

    func testPipelinedFramesSplitAtEveryPoint() throws {
        let bytes = stream
        let expected = try decodeAll([bytes[...]])
        XCTAssertEqual(expected.count, WireExamples.all.count)
        for split in 0...bytes.count {
            XCTAssertEqual(try decodeAll([bytes[..<split], bytes[split...]]), expected, "split at \(split)")
        }
    }

    func testPipelinedFramesSplitAtEveryPairOfPointsInOneFrameBoundaryRegion() throws {
        // Three pieces, both cuts around the boundary between two frames.
        let a = WireExamples.all[0].encode(), b = WireExamples.all[1].encode()
        let bytes = a + b
        let expected = try decodeAll([bytes[...]])
        for i in 0...bytes.count {
            for j in i...bytes.count {
                XCTAssertEqual(try decodeAll([bytes[..<i], bytes[i..<j], bytes[j...]]), expected)
            }
        }
    }

    func testByteByByte() throws {
        let bytes = stream
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        for i in bytes.indices {
            decoder.feed(bytes[i...i])
            while let f = try decoder.next() { frames.append(f) }
        }
        XCTAssertEqual(try frames.map { try Message.decode($0) }, WireExamples.all.map(\.message))
        XCTAssertEqual(frames.map(\.requestId), WireExamples.all.map(\.requestId))
        XCTAssertEqual(decoder.bufferedBytes, 0)
    }

    func testRandomChunks() throws {
        var rng = SplitMix64(seed: 7)
        let bytes = stream
        let expected = try decodeAll([bytes[...]])
        for _ in 0..<200 {
            var chunks: [ArraySlice<UInt8>] = []
            var i = 0
            while i < bytes.count {
                let n = Int(rng.next() % 97) + 1
                chunks.append(bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            XCTAssertEqual(try decodeAll(chunks), expected)
        }
    }

    func testBufferedBytesAndNeedMoreData() throws {
        let frame = WireExamples.all[0].encode()
        var decoder = FrameDecoder()
        decoder.feed(frame[..<10])
        XCTAssertNil(try decoder.next())
        XCTAssertEqual(decoder.bufferedBytes, 10)
        decoder.feed(frame[10..<30])
        XCTAssertNil(try decoder.next())
        XCTAssertEqual(decoder.bytesNeededForPendingFrame, frame.count - 30)
        decoder.feed(frame[30...])
        XCTAssertNotNil(try decoder.next())
        XCTAssertNil(try decoder.next())
        XCTAssertEqual(decoder.bufferedBytes, 0)
    }

    func testBadMagic() {
        var decoder = FrameDecoder()
        decoder.feed(rawFrame(magic: 0x4854_5450, type: 1, payload: []))
        XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? WireError, .badMagic(0x4854_5450)) }
        XCTAssertEqual((try? decoder.next()) ?? nil, nil)
        XCTAssertThrowsError(try decoder.next(), "errors are sticky") { XCTAssertEqual(($0 as? WireError)?.code, .malformedFrame) }
    }

    func testUnsupportedFrameVersion() {
        var decoder = FrameDecoder()
        decoder.feed(rawFrame(version: 2, type: 1, payload: []))
        XCTAssertThrowsError(try decoder.next()) {
            XCTAssertEqual($0 as? WireError, .unsupportedVersion(2))
            XCTAssertEqual(($0 as? WireError)?.code, .unsupportedVersion)
        }
    }

    func testBadChecksum() {
        var bytes = WireExamples.all[0].encode()
        bytes[bytes.count - 1] ^= 0x01
        var decoder = FrameDecoder()
        decoder.feed(bytes)
        XCTAssertThrowsError(try decoder.next()) { error in
            guard case .badChecksum = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertEqual((error as? WireError)?.code, .badChecksum)
            XCTAssertTrue((error as? WireError)!.closesConnection)
        }
    }

    func testReservedFlags() {
        var decoder = FrameDecoder()
        decoder.feed(rawFrame(type: 0x30, flags: 0x0002, payload: [0, 0, 0, 0, 0, 0, 0, 1]))
        XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? WireError, .reservedFlags(2)) }
    }

    func testEndOfStreamFlagIsAccepted() throws {
        let bytes = Message.goodbye(.init(reason: "bye")).encode(requestId: 0, flags: .endOfStream)
        let (frame, _) = try decodeOne(bytes)
        XCTAssertEqual(frame.flags, .endOfStream)
    }

    func testOversizeLengthThrowsOnTheHeaderWithoutAllocating() {
        var decoder = FrameDecoder()
        let header = rawFrame(type: 0x20, payload: [], length: 0xFFFF_FFFF, crc: 0)
        XCTAssertEqual(header.count, Frame.headerSize)
        decoder.feed(header)
        XCTAssertThrowsError(try decoder.next()) {
            XCTAssertEqual($0 as? WireError, .frameTooLarge(length: 0xFFFF_FFFF, limit: Frame.defaultMaxFrameSize))
            XCTAssertEqual(($0 as? WireError)?.code, .frameTooLarge)
        }
        XCTAssertEqual(decoder.bufferedBytes, 24)
        XCTAssertLessThan(decoder.bufferCapacity, 4096, "the decoder must not reserve space for the announced payload")
    }

    func testMaxFrameSizeBoundary() throws {
        let payload = [UInt8](repeating: 7, count: 100)
        XCTAssertEqual(try decodeAll([rawFrame(type: 0x77, payload: payload)[...]], maxFrameSize: 100).count, 1)
        XCTAssertThrowsError(try decodeAll([rawFrame(type: 0x77, payload: payload)[...]], maxFrameSize: 99)) {
            XCTAssertEqual($0 as? WireError, .frameTooLarge(length: 100, limit: 99))
        }
    }

    func testUnknownMessageTypeKeepsPayload() throws {
        let frames = try decodeAll([rawFrame(type: 0x66, requestId: 42, payload: [1, 2, 3])[...]])
        XCTAssertEqual(frames.count, 1)
        XCTAssertThrowsError(try Message.decode(frames[0])) { error in
            guard case let .unknownMessageType(type, payload) = error as? WireError else { return XCTFail("\(error)") }
            XCTAssertEqual(type, 0x66)
            XCTAssertEqual(Array(payload), [1, 2, 3])
            XCTAssertEqual((error as? WireError)?.code, .unknownMessageType)
            XCTAssertFalse((error as? WireError)!.closesConnection)
        }
    }

    func testTruncatedPayloadOfEveryMessage() throws {
        for example in WireExamples.all {
            let payload = example.message.content.encodedPayload()
            for cut in 0..<payload.count {
                let frame = Frame(type: example.message.type, requestId: 1, payload: Array(payload[..<cut]))
                XCTAssertThrowsError(try Message.decode(frame), "\(example.name) cut at \(cut)") { error in
                    guard case .malformedPayload(let t, _) = error as? WireError else { return XCTFail("\(error)") }
                    XCTAssertEqual(t, example.message.type.rawValue)
                }
            }
        }
    }

    func testTrailingBytesInPayloadOfEveryMessage() {
        for example in WireExamples.all {
            let frame = Frame(type: example.message.type, requestId: 1, payload: example.message.content.encodedPayload() + [0])
            XCTAssertThrowsError(try Message.decode(frame), example.name) { error in
                guard case let .malformedPayload(_, detail) = error as? WireError else { return XCTFail("\(error)") }
                XCTAssertTrue(detail.contains("trailing"), detail)
            }
        }
    }

    func testLargeFramesAreHandedOverWithoutRetainingTheBuffer() throws {
        var rng = SplitMix64(seed: 1)
        let rows = (0..<(10 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let shard = Message.ScoreShard(shardId: 1, attempt: 0, firstLine: 2, modelHash: WireExamples.modelHash,
                                       rankBy: .risk, topK: 5, columns: ["a"], rows: rows)
        let heartbeat = Message.heartbeat(.init(sentAt: 5)).encode(requestId: 2)
        let bytes = Message.scoreShard(shard).encode(requestId: 1) + heartbeat
        var decoder = FrameDecoder()
        var frames: [Frame] = []
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + 65536)
            decoder.feed(bytes[i..<end])
            while let f = try decoder.next() { frames.append(f) }
            i = end
        }
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(try Message.decode(frames[0]), .scoreShard(shard))
        XCTAssertEqual(try Message.decode(frames[1]), .heartbeat(.init(sentAt: 5)))
        XCTAssertLessThan(decoder.bufferCapacity, 1 << 20, "the big payload's storage went with the frame")
    }

    /// Feeds `bytes` as a transport with `readSpace` does: each read lands in the decoder's own
    /// space, at most `readSizes` bytes at a time (cycling).
    private func decodeInPlace(_ bytes: [UInt8], readSizes: [Int], decoder: inout FrameDecoder,
                               spaces: inout [UnsafeMutableRawBufferPointer]) throws -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        var turn = 0
        while offset < bytes.count {
            let space = decoder.readSpace(minimum: 4096)
            XCTAssertGreaterThan(space.count, 0)
            let n = min(space.count, readSizes[turn % readSizes.count], bytes.count - offset)
            turn += 1
            bytes.withUnsafeBytes { space.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            let buffered = decoder.bufferedBytes
            decoder.feed(UnsafeRawBufferPointer(start: space.baseAddress, count: n))
            XCTAssertEqual(decoder.bufferedBytes, buffered + n, "bytes read in place are counted once")
            spaces.append(UnsafeMutableRawBufferPointer(rebasing: space[0..<n]))
            offset += n
            while let f = try decoder.next() { frames.append(f) }
        }
        return frames
    }

    func testReadsIntoTheDecodersSpaceGiveTheSameFrames() throws {
        let bytes = stream
        let expected = try decodeAll([bytes[...]])
        for sizes in [[1], [7, 300, 24], [4096], [100_000]] {
            var decoder = FrameDecoder()
            var spaces: [UnsafeMutableRawBufferPointer] = []
            XCTAssertEqual(try decodeInPlace(bytes, readSizes: sizes, decoder: &decoder, spaces: &spaces), expected, "reads of \(sizes)")
            XCTAssertEqual(decoder.bufferedBytes, 0)
        }
    }

    func testLargeFrameReadInPlaceBecomesThePayloadWithoutACopy() throws {
        var rng = SplitMix64(seed: 3)
        let rows = (0..<(3 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let shard = Message.ScoreShard(shardId: 1, attempt: 0, firstLine: 2, modelHash: WireExamples.modelHash,
                                       rankBy: .risk, topK: 5, columns: ["a"], rows: rows)
        let heartbeat = Message.heartbeat(.init(sentAt: 5)).encode(requestId: 2)
        let bytes = Message.scoreShard(shard).encode(requestId: 1) + heartbeat + Message.scoreShard(shard).encode(requestId: 3)
        var decoder = FrameDecoder()
        var spaces: [UnsafeMutableRawBufferPointer] = []
        let frames = try decodeInPlace(bytes, readSizes: [65_536, 200_000, 1 << 20], decoder: &decoder, spaces: &spaces)
        XCTAssertEqual(frames.count, 3)
        XCTAssertEqual(try Message.decode(frames[0]), .scoreShard(shard))
        XCTAssertEqual(try Message.decode(frames[1]), .heartbeat(.init(sentAt: 5)))
        XCTAssertEqual(try Message.decode(frames[2]), .scoreShard(shard))
        // The second shard's header came in a later read than the first shard's end, so the reads
        // after it landed in space sized for it: its rows are where the kernel would have put them.
        let payload = frames[2].payload
        let last = spaces.last!
        payload.withUnsafeBytes { p in
            let payloadEnd = UnsafeRawPointer(p.baseAddress! + p.count)
            XCTAssertEqual(payloadEnd, UnsafeRawPointer(last.baseAddress! + last.count), "the payload is the space read into")
        }
        XCTAssertLessThan(decoder.bufferCapacity, 1 << 20, "the big payload's storage went with the frame")
    }

    func testCompactionKeepsCapacity() throws {
        // Many small frames through one decoder: the buffer is reused, not regrown.
        let frame = Message.heartbeat(.init(sentAt: 1)).encode(requestId: 1)
        var decoder = FrameDecoder()
        var chunk: [UInt8] = []
        for _ in 0..<100 { chunk += frame }
        var seen = 0
        var capacities = Set<Int>()
        for round in 0..<50 {
            // Feed with an odd split so a partial frame stays behind each round.
            let cut = 17 + round % 13
            decoder.feed(chunk[..<cut])
            while try decoder.next() != nil { seen += 1 }
            decoder.feed(chunk[cut...])
            while try decoder.next() != nil { seen += 1 }
            capacities.insert(decoder.bufferCapacity)
        }
        XCTAssertEqual(seen, 5000)
        XCTAssertLessThanOrEqual(capacities.count, 3)
    }

    func testWireErrorCodes() {
        XCTAssertEqual(WireError.badMagic(0).code, .malformedFrame)
        XCTAssertEqual(WireError.reservedFlags(2).code, .malformedFrame)
        XCTAssertEqual(WireError.malformedPayload(type: 1, detail: "x").code, .malformedFrame)
        XCTAssertEqual(WireError.unsupportedVersion(9).code, .unsupportedVersion)
        XCTAssertEqual(WireError.frameTooLarge(length: 1, limit: 0).code, .frameTooLarge)
        XCTAssertEqual(WireError.badChecksum(expected: 1, actual: 2).code, .badChecksum)
        XCTAssertEqual(WireError.unknownMessageType(type: 9, payload: []).code, .unknownMessageType)
    }
}
