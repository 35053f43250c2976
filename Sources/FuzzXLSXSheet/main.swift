// Entry point. Built by scripts/fuzz with -sanitize=fuzzer,address, libFuzzer is linked in and we
// hand over to its driver (LLVMFuzzerRunDriver, exported by the script's linker flag). Built
// normally, the program replays inputs instead:
//   FuzzXLSXSheet FILE...            run each file through the fuzz function (reproduce a crash)
//   FuzzXLSXSheet --write-seeds DIR  write the seed corpus
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
typealias RunDriver = @convention(c) (
    UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>, TestOneInput
) -> CInt

if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "LLVMFuzzerRunDriver") {
    let run = unsafeBitCast(symbol, to: RunDriver.self)
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(run(&argc, &argv, { data, size in
        var empty: UInt8 = 0
        return data.map { fuzz($0, size) } ?? fuzz(&empty, 0)
    }))
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--write-seeds", arguments.count == 2 {
    let dir = URL(fileURLWithPath: arguments[1])
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, bytes) in seedInputs() {
        try Data(bytes).write(to: dir.appendingPathComponent(name))
    }
    print("wrote \(seedInputs().count) seeds to \(dir.path)")
} else if !arguments.isEmpty {
    for path in arguments {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var empty: UInt8 = 0
        _ = bytes.withUnsafeBufferPointer { $0.baseAddress.map { fuzz($0, bytes.count) } ?? fuzz(&empty, 0) }
        print("ok \(path)")
    }
} else {
    print("usage: FuzzXLSXSheet FILE... | --write-seeds DIR   (scripts/fuzz builds the libFuzzer version)")
}
