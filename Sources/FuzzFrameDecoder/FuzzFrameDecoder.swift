import ChurnCore
import ChurnWire

// Input layout. First byte, bit 7 clear: "stream" mode. The rest is a byte stream fed to a
// FrameDecoder in chunks of ((first & 0x7E) >> 1) + 1 bytes, with a 256-byte frame limit when bit 0 is
// set (64 KiB otherwise); every frame is decoded as a message. Bit 7 set: "payload" mode, the second
// byte is a message type and the rest its payload, decoded without framing (so the fuzzer reaches the
// payload parsers without having to forge CRCs).
//
// Every other chunk is read the way the transport does it, into the decoder's own `readSpace()`
// (at most as many bytes as that space holds).
//
// Beyond "no crash": a message that decodes must re-encode to exactly the bytes it came from
// (decoding is strict, so the encoding is canonical), and a SHARD_RESULT's rows must iterate cleanly.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard size >= 1 else { return 0 }
    let mode = input[0]
    if mode & 0x80 != 0 {
        guard size >= 2 else { return 0 }
        let payload = Array(input[2...])
        check(Frame(type: input[1], requestId: 1, payload: payload[...]))
        return 0
    }
    let body = UnsafeRawBufferPointer(rebasing: input[1...])
    var decoder = FrameDecoder(maxFrameSize: mode & 1 == 1 ? 256 : 64 << 10)
    let chunk = Int((mode & 0x7E) >> 1) + 1
    var offset = 0
    var inPlace = false
    feeding: while offset < body.count {
        var end = min(body.count, offset + chunk)
        if inPlace {
            let space = decoder.readSpace(minimum: chunk)
            precondition(space.count > 0, "readSpace gave no room")
            end = min(end, offset + space.count)
            let n = end - offset
            space.baseAddress!.copyMemory(from: body.baseAddress! + offset, byteCount: n)
            let before = decoder.bufferedBytes
            decoder.feed(UnsafeRawBufferPointer(start: space.baseAddress, count: n))
            precondition(decoder.bufferedBytes == before + n, "bytes read in place were not counted once")
        } else {
            decoder.feed(UnsafeRawBufferPointer(rebasing: body[offset..<end]))
        }
        inPlace.toggle()
        offset = end
        precondition(decoder.bufferedBytes <= offset, "decoder holds more bytes than it was fed")
        while true {
            let frame: Frame?
            do {
                frame = try decoder.next()
            } catch let error as WireError {
                precondition(error.closesConnection, "framing errors close the connection")
                // Sticky: the decoder must keep refusing.
                do {
                    _ = try decoder.next()
                    preconditionFailure("decoder recovered after \(error)")
                } catch {}
                break feeding
            } catch {
                preconditionFailure("unexpected error type \(error)")
            }
            guard let frame else { break }
            check(frame)
        }
    }
    return 0
}

private func check(_ frame: Frame) {
    let message: Message
    do {
        message = try Message.decode(frame)
    } catch let error as WireError {
        switch error {
        case .malformedPayload, .unknownMessageType: return
        default: preconditionFailure("Message.decode threw a framing error: \(error)")
        }
    } catch {
        preconditionFailure("unexpected error type \(error)")
    }
    precondition(message.type.rawValue == frame.type)
    let reencoded = message.encode(requestId: frame.requestId, flags: frame.flags)
    precondition(Array(reencoded[Frame.headerSize...]) == Array(frame.payload), "re-encoding \(message.type.name) changed its bytes")
    if case let .shardResult(result) = message {
        // What the decoder promises a client that copies the CSV and the history chunk as they are.
        precondition(result.rowCount == 0 ? result.csv.isEmpty : result.csv.last == 0x0A)
        precondition(result.aggregate.rowsScored == UInt64(result.rowCount))
        if let history = result.history { precondition(history.rowCount == Int(result.rowCount)) }
    }
}

/// The seed corpus: every example frame in stream mode (whole, and in small chunks), every example
/// payload in payload mode, and the whole conversation as one stream.
func seedInputs() -> [(String, [UInt8])] {
    var seeds: [(String, [UInt8])] = []
    for (i, ex) in WireExamples.all.enumerated() {
        let frame = ex.encode()
        let name = String(format: "%02d-%@", i, ex.name.lowercased())
        seeds.append(("\(name)-stream", [0x7E] + frame))
        seeds.append(("\(name)-chunked", [0x0A] + frame))
        seeds.append(("\(name)-payload", [0x80, ex.message.type.rawValue] + Array(frame[Frame.headerSize...])))
    }
    seeds.append(("conversation-stream", [0x7E] + WireExamples.all.flatMap { $0.encode() }))
    return seeds
}
