import ChurnCore
import ChurnWire
import XCTest

/// Decoder throughput. Meaningful only in release:
/// `CHURN_WIRE_BENCH=1 swift test -c release --filter ThroughputTests`.
final class ThroughputTests: XCTestCase {
    private var enabled: Bool { ProcessInfo.processInfo.environment["CHURN_WIRE_BENCH"] != nil }

    func testDecodeLargeShardFrames() throws {
        try XCTSkipUnless(enabled, "set CHURN_WIRE_BENCH=1")
        var rng = SplitMix64(seed: 9)
        let t0 = ContinuousClock.now
        let rows = (0..<(32 << 20)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        print("made rows in \(ContinuousClock.now - t0)")
        let shard = Message.ScoreShard(shardId: 1, attempt: 0, firstLine: 2, modelHash: .zero, rankBy: .combined,
                                       topK: 10, columns: ["customer_id", "mrr"], rows: rows)
        let t1 = ContinuousClock.now
        let frame = Message.scoreShard(shard).encode(requestId: 1)
        print("encoded in \(ContinuousClock.now - t1)")
        let chunk = 64 << 10
        let rounds = 16
        var decoder = FrameDecoder()
        var bytesOut = 0
        let start = ContinuousClock.now
        try frame.withUnsafeBytes { f in
            for _ in 0..<rounds {
                var i = 0
                while i < f.count {
                    let end = min(f.count, i + chunk)
                    decoder.feed(UnsafeRawBufferPointer(rebasing: f[i..<end]))
                    while let got = try decoder.next() {
                        guard case let .scoreShard(s) = try Message.decode(got) else { XCTFail(); return }
                        bytesOut += s.rows.count
                    }
                    i = end
                }
            }
        }
        let seconds = Double((ContinuousClock.now - start).components.attoseconds) / 1e18
            + Double((ContinuousClock.now - start).components.seconds)
        let gib = Double(frame.count * rounds) / Double(1 << 30)
        print(String(format: "decoded %d × %.1f MiB SCORE_SHARD frames in 64 KiB chunks: %.2f GiB/s", rounds,
                     Double(frame.count) / Double(1 << 20), gib / seconds))
        XCTAssertEqual(bytesOut, rows.count * rounds)
    }

    func testDecodeSmallFrames() throws {
        try XCTSkipUnless(enabled, "set CHURN_WIRE_BENCH=1")
        var stream: [UInt8] = []
        for i in 0..<100_000 { Message.heartbeat(.init(sentAt: UInt64(i))).encode(requestId: UInt64(i), into: &stream) }
        var decoder = FrameDecoder()
        var n = 0
        let start = ContinuousClock.now
        try stream.withUnsafeBytes { s in
            var i = 0
            while i < s.count {
                let end = min(s.count, i + (64 << 10))
                decoder.feed(UnsafeRawBufferPointer(rebasing: s[i..<end]))
                while let f = try decoder.next() {
                    if case .heartbeat = try Message.decode(f) { n += 1 }
                }
                i = end
            }
        }
        let elapsed = ContinuousClock.now - start
        print("decoded \(n) HEARTBEAT frames in \(elapsed)")
        XCTAssertEqual(n, 100_000)
    }

    func testEncodeAndIterateResultRows() throws {
        try XCTSkipUnless(enabled, "set CHURN_WIRE_BENCH=1")
        let score = RowScore(probability: 0.3, riskScore: 30, riskLevel: .medium, health: 60, drivers: (1, 2, 3),
                             impacts: (0.5, 0.25, 0.125), intervention: 1)
        let id = Array("CUST-0000123".utf8)
        var w = RowResultWriter(capacity: 1_000_000 * 50)
        let start = ContinuousClock.now
        id.withUnsafeBytes { idp in
            for i in 0..<1_000_000 { w.append(lineOffset: UInt32(i), id: idp, score: score) }
        }
        let mid = ContinuousClock.now
        var sum = 0.0
        try w.bytes.withUnsafeBytes { b in
            var it = RowResultIterator(b)
            while let r = try it.next() { sum += r.score.probability }
        }
        let end = ContinuousClock.now
        print("1M rows: append \(mid - start), iterate \(end - mid)")
        XCTAssertEqual(sum, 300_000, accuracy: 1)
    }
}
