// Entry point: the shared fuzz driver (Sources/FuzzDriver) around this target's fuzz function.
import FuzzDriver

try runFuzzTarget(name: "FuzzFrameDecoder", testOneInput: { data, size in
    var empty: UInt8 = 0
    return data.map { fuzz($0, size) } ?? fuzz(&empty, 0)
}, seeds: seedInputs)
