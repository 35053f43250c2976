extension Message {
    /// LOAD_MODEL (0x12), client → worker: a model's JSON file, named by its SHA-256.
    public struct LoadModel: WireMessage {
        public static let messageType = MessageType.loadModel

        /// SHA-256 of `json`; the worker refuses the model (INVALID_MODEL) when it does not match.
        public var hash: ModelHash
        /// The model file's bytes (a slice of the frame's payload after decoding).
        public var json: ArraySlice<UInt8>

        public init(hash: ModelHash, json: ArraySlice<UInt8>) {
            self.hash = hash
            self.json = json
        }

        public init(hash: ModelHash, json: [UInt8]) {
            self.init(hash: hash, json: json[...])
        }

        public func encode(into w: inout WireWriter) {
            w.write(hash)
            w.writeBlob(json)
        }

        public init(from r: inout WireReader) throws {
            hash = try r.readBytes32("model hash")
            json = try r.readBlob("model json")
        }

        public static func == (a: LoadModel, b: LoadModel) -> Bool {
            a.hash == b.hash && a.json.elementsEqual(b.json)
        }
    }
}
