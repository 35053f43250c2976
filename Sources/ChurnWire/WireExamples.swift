import ChurnCore

/// One sample frame of the protocol.
public struct WireExample: Sendable {
    public var requestId: UInt64
    public var flags: FrameFlags
    public var message: Message

    /// The proto-docs name of the message type, e.g. "SCORE_SHARD".
    public var name: String { message.type.name }

    /// The frame's bytes.
    public func encode() -> [UInt8] { message.encode(requestId: requestId, flags: flags) }
}

/// A sample of every message, as one conversation: the hex examples of proto-docs/messages.md, the
/// tests that keep those in step with the code, and the fuzzers' seed corpora all come from here.
///
/// The proofs are real: HMAC-SHA256 with the secret `exampleSecret` over the example nonces, and the
/// model hash is the SHA-256 of `exampleModelJSON`, so implementers can check their own code on them.
public enum WireExamples: Sendable {
    public static let exampleSecret = Array("example-secret".utf8)
    public static let clientNonce = Bytes32((0x00..<0x20).map { UInt8($0) })!
    public static let serverNonce = Bytes32((0xA0..<0xC0).map { UInt8($0) })!
    public static let exampleModelJSON = Array(#"{"format":"churn-model","formatVersion":1}"#.utf8)
    public static let modelHash = Bytes32(hex: "2de4f2dc1d4223a6c5c33fd26dc8b05fc198a8181efb9f3112eef924ff0aff31")!
    public static let clientProof = Bytes32(hex: "8b9edb1fa2869ea88707c303852b97e36600473cf7ca4100158dec79153183ab")!
    public static let serverProof = Bytes32(hex: "23fdf4f3eabfab3d7fae042ade9f142d633922b81581cb2a569dfcddab496ccb")!

    /// Two scored rows in the results CSV, as a worker formats them: C001 (line 2) at High risk with
    /// two drivers, C002 (line 3) at Low risk with none.
    public static let resultCSV = Array(("C001,0.812500,81,High,22,usage_drop_pct high,1.250,mrr high,0.500,,,Call within 48 hours\n"
        + "C002,0.062500,6,Low,90,,,,,,,Monitor\n").utf8)

    /// Those rows as a history chunk (the columns of ChurnHistoryFormat's `PredictionBlockBuilder`,
    /// in its order, for a model with fewer than 255 driver names and at most 256 interventions).
    /// ChurnCoordinatorTests checks that a builder given the same rows makes exactly these bytes.
    public static let resultHistory = HistoryChunk(
        firstLine: 2, lastLine: 3, linesConsecutive: true, lowCount: 1, mediumCount: 0, highCount: 1,
        columns: [
            [0x00, 0x00, 0x50, 0x3F, 0x00, 0x00, 0x80, 0x3D],  // probabilities, Float32 little-endian
            [81, 6],  // risk scores
            [2, 0],  // risk levels
            [22, 90],  // health scores
            [0x00, 0x02],  // line deltas (zigzag varints 0, +1)
            [4, 1, 0xFF, 0xFF, 0xFF, 0xFF],  // driver codes, 0xFF = none
            [0xC4, 0x13, 0xE8, 0x07],  // impacts in thousandths (zigzag varints 1250, 500)
            [2, 0],  // intervention codes
            [0x00, 0x04, 0x43, 0x30, 0x30, 0x31, 0x03, 0x01, 0x32],  // ids, front-coded: "C001", then "C00" + "2"
            [0x04, 0x43, 0x30, 0x30, 0x31],  // High-risk ids: "C001"
            [0x42, 0x0E, 0x6F, 0x1A, 0x41, 0xC7, 0x2C, 0x04, 0x69, 0x68, 0x9A, 0xE1, 0xB2, 0xE9, 0x4D, 0xB3],  // id hashes (CustomerIndex.hash), u64 little-endian
            [1, 3],  // category codes of the model's one categorical feature (3 levels): its second level, then 3 = blank
        ])

    /// The aggregate of those rows plus one rejected row.
    public static var resultAggregate: ScoreAggregate {
        var a = ScoreAggregate(topLimit: 1, rejectedLimit: 10)
        a.rowsScored = 2
        a.rowsRejected = 1
        a.healthHistogram[2] = 1
        a.healthHistogram[9] = 1
        a.riskCounts = [1, 0, 1]
        a.revenueCents = 128_000
        a.highRiskRevenueCents = 120_000
        a.expectedLossCents = 98_000
        a.imputedCells = 1
        a.unseenCategories = 0
        a.drift = DriftCounts(numericBins: [1, 0, 1], unseenCategories: [0])
        a.top = [RankedCustomer(line: 2, id: "C001", email: "ops@example.com", revenue: 1200, probability: 0.8125,
                                riskScore: 81, riskLevel: "High", health: 22,
                                drivers: [DriverImpact(name: "usage_drop_pct high", impact: 1.25, direction: .high,
                                                       value: .number(60), typical: .number(10))],
                                intervention: "Call within 48 hours", rankKey: 79.625)]
        a.rejected = [RejectedRow(line: 4, reason: "mrr: 'n/a' is not a number")]
        return a
    }

    public static let all: [WireExample] = [
        WireExample(requestId: 1, flags: [], message: .hello(.init(versions: [4], clientName: "coordinator", clientNonce: clientNonce))),
        WireExample(requestId: 1, flags: [], message: .helloOK(.init(version: 4, workerName: "worker-a", maxFrameSize: 64 << 20,
                                                                     maxShardsInFlight: 4, authRequired: true, serverNonce: serverNonce))),
        WireExample(requestId: 2, flags: [], message: .auth(.init(proof: clientProof))),
        WireExample(requestId: 2, flags: [], message: .authOK(.init(proof: serverProof))),
        WireExample(requestId: 3, flags: [], message: .modelCheck(.init(hash: modelHash))),
        WireExample(requestId: 3, flags: [], message: .modelStatus(.init(hash: modelHash, present: false))),
        WireExample(requestId: 4, flags: [], message: .loadModel(.init(hash: modelHash, json: exampleModelJSON))),
        WireExample(requestId: 4, flags: [], message: .modelLoaded(.init(hash: modelHash))),
        WireExample(requestId: 5, flags: [], message: .scoreShard(.init(
            shardId: 7, attempt: 0, firstLine: 2, modelHash: modelHash, rankBy: .combined, topK: 1,
            columns: ["customer_id", "mrr", "usage_drop_pct"],
            rows: Array("C001,1200,40\nC002,80,2\nC003,n/a,5\n".utf8), withHistory: true))),
        WireExample(requestId: 5, flags: [], message: .shardResult(.init(shardId: 7, attempt: 0, rowCount: 2, csv: resultCSV[...],
                                                                         history: resultHistory, aggregate: resultAggregate))),
        WireExample(requestId: 11, flags: [], message: .spoolResults(.init(directory: "/dev/shm/churn-spool-4242-a1b2c3"))),
        WireExample(requestId: 11, flags: [], message: .spoolReady(.init(directory: "/dev/shm/churn-spool-4242-a1b2c3"))),
        WireExample(requestId: 12, flags: [], message: .shardResultSpooled(.init(
            result: .init(shardId: 7, attempt: 0, rowCount: 2, csv: [], history: nil, aggregate: resultAggregate),
            file: "4243-1-7-0", csvLength: UInt64(resultCSV.count)))),
        WireExample(requestId: 13, flags: [], message: .scoreShardReference(.init(
            shard: .init(shardId: 8, attempt: 0, firstLine: 5, modelHash: modelHash, rankBy: .combined, topK: 1,
                         columns: ["customer_id", "mrr", "usage_drop_pct"], rows: [UInt8](), withHistory: true),
            device: 0x803, inode: 1_234_567, size: 806_000_000, modifiedNanoseconds: 1_764_547_200_000_000_000,
            offset: 1_048_550, length: 1_048_541))),
        WireExample(requestId: 6, flags: [], message: .heartbeat(.init(sentAt: 1_000_000_000))),
        WireExample(requestId: 6, flags: [], message: .heartbeatAck(.init(sentAt: 1_000_000_000))),
        WireExample(requestId: 8, flags: [], message: .cancel(.init(shardId: 9))),
        WireExample(requestId: 9, flags: [], message: .statsRequest(.init())),
        WireExample(requestId: 9, flags: [], message: .stats(.init(
            uptimeSeconds: 3600.5, connections: 2, shardsScored: 120, rowsScored: 1_000_000, rowsRejected: 12,
            errors: 1, queueDepth: 3, shardsInFlight: 2, modelHashes: [modelHash], workerThreads: 2,
            protocolVersions: [4]))),
        WireExample(requestId: 0, flags: [.endOfStream], message: .goodbye(.init(reason: "draining", unfinishedShardIds: [10, 11]))),
        WireExample(requestId: 10, flags: [], message: .error(.init(code: .unknownModel, message: "unknown model 2de4f2dc"))),
    ]
}
