// The entry point every fuzz target shares. Built by scripts/fuzz with -sanitize=fuzzer,address,
// libFuzzer is linked in and the target hands over to its driver (LLVMFuzzerRunDriver, exported by
// the script's linker flag). Built normally, the program replays inputs instead:
//   TARGET FILE...            run each file through the fuzz function (reproduce a crash)
//   TARGET --write-seeds DIR  write the seed corpus
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// libFuzzer's per-input callback: a C function, so a target passes a closure that captures nothing.
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

private typealias RunDriver = @convention(c) (
    UnsafeMutablePointer<CInt>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    FuzzTestOneInput
) -> CInt

/// Runs a fuzz target: under libFuzzer when it is linked in, else replaying files or writing seeds.
public func runFuzzTarget(name: String, testOneInput: FuzzTestOneInput, seeds: () -> [(String, [UInt8])]) throws {
    if let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "LLVMFuzzerRunDriver") {
        let run = unsafeBitCast(symbol, to: RunDriver.self)
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(run(&argc, &argv, testOneInput))
    }
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "--write-seeds", arguments.count == 2 {
        let dir = URL(fileURLWithPath: arguments[1])
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let inputs = seeds()
        for (file, bytes) in inputs {
            try Data(bytes).write(to: dir.appendingPathComponent(file))
        }
        print("wrote \(inputs.count) seeds to \(dir.path)")
    } else if !arguments.isEmpty {
        for path in arguments {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            _ = bytes.withUnsafeBufferPointer { testOneInput($0.baseAddress, bytes.count) }
            print("ok \(path)")
        }
    } else {
        print("usage: \(name) FILE... | --write-seeds DIR   (scripts/fuzz builds the libFuzzer version)")
    }
}
