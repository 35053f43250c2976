/// Every message of the protocol (SPOOL_RESULTS, SPOOL_READY and SHARD_RESULT_SPOOLED since version 5,
/// SCORE_SHARD_REF since version 6).
public enum Message: Equatable, Sendable {
    /// The protocol versions this build speaks: what both handshakes offer by default and what a
    /// worker's STATS reports.
    public static let versionsSpoken: [UInt16] = [4, 5, 6]

    case hello(Hello)
    case helloOK(HelloOK)
    case auth(Auth)
    case authOK(AuthOK)
    case modelCheck(ModelCheck)
    case modelStatus(ModelStatus)
    case loadModel(LoadModel)
    case modelLoaded(ModelLoaded)
    case scoreShard(ScoreShard)
    case shardResult(ShardResult)
    case spoolResults(SpoolResults)
    case spoolReady(SpoolReady)
    case shardResultSpooled(SpooledShardResult)
    case scoreShardReference(ScoreShardReference)
    case heartbeat(Heartbeat)
    case heartbeatAck(HeartbeatAck)
    case cancel(Cancel)
    case statsRequest(StatsRequest)
    case stats(Stats)
    case goodbye(Goodbye)
    case error(ErrorMessage)

    /// The message inside.
    public var content: any WireMessage {
        switch self {
        case let .hello(m): return m
        case let .helloOK(m): return m
        case let .auth(m): return m
        case let .authOK(m): return m
        case let .modelCheck(m): return m
        case let .modelStatus(m): return m
        case let .loadModel(m): return m
        case let .modelLoaded(m): return m
        case let .scoreShard(m): return m
        case let .shardResult(m): return m
        case let .spoolResults(m): return m
        case let .spoolReady(m): return m
        case let .shardResultSpooled(m): return m
        case let .scoreShardReference(m): return m
        case let .heartbeat(m): return m
        case let .heartbeatAck(m): return m
        case let .cancel(m): return m
        case let .statsRequest(m): return m
        case let .stats(m): return m
        case let .goodbye(m): return m
        case let .error(m): return m
        }
    }

    public var type: MessageType { Swift.type(of: content).messageType }

    /// A complete frame (header and payload).
    public func encode(requestId: UInt64, flags: FrameFlags = []) -> [UInt8] {
        content.encode(requestId: requestId, flags: flags)
    }

    /// Appends a complete frame to `buffer`.
    public func encode(requestId: UInt64, flags: FrameFlags = [], into buffer: inout [UInt8]) {
        content.encode(requestId: requestId, flags: flags, into: &buffer)
    }

    /// The message a frame carries.
    /// - Throws: `WireError.unknownMessageType` (with the payload) for a type this version does not
    ///   know, `WireError.malformedPayload` for a payload that does not parse or has bytes left over.
    public static func decode(_ frame: Frame) throws -> Message {
        guard let type = frame.messageType else {
            throw WireError.unknownMessageType(type: frame.type, payload: frame.payload)
        }
        let p = frame.payload
        switch type {
        case .hello: return .hello(try Hello(decoding: p))
        case .helloOK: return .helloOK(try HelloOK(decoding: p))
        case .auth: return .auth(try Auth(decoding: p))
        case .authOK: return .authOK(try AuthOK(decoding: p))
        case .modelCheck: return .modelCheck(try ModelCheck(decoding: p))
        case .modelStatus: return .modelStatus(try ModelStatus(decoding: p))
        case .loadModel: return .loadModel(try LoadModel(decoding: p))
        case .modelLoaded: return .modelLoaded(try ModelLoaded(decoding: p))
        case .scoreShard: return .scoreShard(try ScoreShard(decoding: p))
        case .shardResult: return .shardResult(try ShardResult(decoding: p))
        case .spoolResults: return .spoolResults(try SpoolResults(decoding: p))
        case .spoolReady: return .spoolReady(try SpoolReady(decoding: p))
        case .shardResultSpooled: return .shardResultSpooled(try SpooledShardResult(decoding: p))
        case .scoreShardReference: return .scoreShardReference(try ScoreShardReference(decoding: p))
        case .heartbeat: return .heartbeat(try Heartbeat(decoding: p))
        case .heartbeatAck: return .heartbeatAck(try HeartbeatAck(decoding: p))
        case .cancel: return .cancel(try Cancel(decoding: p))
        case .statsRequest: return .statsRequest(try StatsRequest(decoding: p))
        case .stats: return .stats(try Stats(decoding: p))
        case .goodbye: return .goodbye(try Goodbye(decoding: p))
        case .error: return .error(try ErrorMessage(decoding: p))
        }
    }
}
