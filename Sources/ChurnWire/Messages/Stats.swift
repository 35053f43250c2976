extension Message {
    /// STATS (0x51), worker → client: counters since the worker started.
    public struct Stats: WireMessage {
        public static let messageType = MessageType.stats

        public var uptimeSeconds: Double
        public var connections: UInt32
        public var shardsScored: UInt64
        public var rowsScored: UInt64
        public var rowsRejected: UInt64
        public var errors: UInt64
        /// Shards accepted and waiting for a scoring thread.
        public var queueDepth: UInt32
        /// Shards being scored now.
        public var shardsInFlight: UInt32
        /// Models loaded.
        public var modelHashes: [ModelHash]
        public var workerThreads: UInt16
        public var protocolVersions: [UInt16]

        public init(uptimeSeconds: Double, connections: UInt32, shardsScored: UInt64, rowsScored: UInt64,
                    rowsRejected: UInt64, errors: UInt64, queueDepth: UInt32, shardsInFlight: UInt32,
                    modelHashes: [ModelHash], workerThreads: UInt16, protocolVersions: [UInt16]) {
            self.uptimeSeconds = uptimeSeconds
            self.connections = connections
            self.shardsScored = shardsScored
            self.rowsScored = rowsScored
            self.rowsRejected = rowsRejected
            self.errors = errors
            self.queueDepth = queueDepth
            self.shardsInFlight = shardsInFlight
            self.modelHashes = modelHashes
            self.workerThreads = workerThreads
            self.protocolVersions = protocolVersions
        }

        public func encode(into w: inout WireWriter) {
            w.write(uptimeSeconds)
            w.write(connections)
            w.write(shardsScored)
            w.write(rowsScored)
            w.write(rowsRejected)
            w.write(errors)
            w.write(queueDepth)
            w.write(shardsInFlight)
            w.writeList(modelHashes) { $0.write($1) }
            w.write(workerThreads)
            w.writeList(protocolVersions) { $0.write($1) }
        }

        public init(from r: inout WireReader) throws {
            uptimeSeconds = try r.readDouble("uptime")
            connections = try r.read(UInt32.self, "connections")
            shardsScored = try r.read(UInt64.self, "shards scored")
            rowsScored = try r.read(UInt64.self, "rows scored")
            rowsRejected = try r.read(UInt64.self, "rows rejected")
            errors = try r.read(UInt64.self, "errors")
            queueDepth = try r.read(UInt32.self, "queue depth")
            shardsInFlight = try r.read(UInt32.self, "shards in flight")
            modelHashes = try r.readList("model hashes", minItemSize: 32) { try $0.readBytes32("model hash") }
            workerThreads = try r.read(UInt16.self, "worker threads")
            protocolVersions = try r.readList("protocol versions", minItemSize: 2) { try $0.read(UInt16.self, "version") }
        }

        /// Bit-exact equality (a NaN uptime equals itself, so round trips compare equal).
        public static func == (a: Stats, b: Stats) -> Bool {
            a.uptimeSeconds.bitPattern == b.uptimeSeconds.bitPattern && a.connections == b.connections
                && a.shardsScored == b.shardsScored && a.rowsScored == b.rowsScored && a.rowsRejected == b.rowsRejected
                && a.errors == b.errors && a.queueDepth == b.queueDepth && a.shardsInFlight == b.shardsInFlight
                && a.modelHashes == b.modelHashes && a.workerThreads == b.workerThreads
                && a.protocolVersions == b.protocolVersions
        }
    }
}
