import ChurnTesting
import Foundation
import XCTest

/// Runs the real `churn` executable built beside the test bundle.
enum ChurnBinary {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var url: URL {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("churn")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return root.appendingPathComponent(".build/debug/churn")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `churn` with arguments, waiting for it to exit.
    @discardableResult
    static func run(_ arguments: [String], timeout: TimeInterval = 120, stdin: String? = nil) throws -> Result {
        try runProcess(url, arguments, timeout: timeout, environment: ["CHURN_DB": historyPath], stdin: stdin)
    }

    /// Runs that pass no --db record here, never in the user's own history.
    static let historyPath = ScratchDirectory.root.appendingPathComponent("history.sqlite").path

    static func runProcess(_ executable: URL, _ arguments: [String], timeout: TimeInterval = 120, environment: [String: String]? = nil,
                           stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        if stdin != nil { process.standardInput = input }
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Drain both pipes concurrently so a chatty process never blocks.
        let outData = DataBox(), errData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) timed out after \(timeout) s")
        }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    static func python(_ arguments: [String]) throws -> Result {
        try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments, timeout: 300)
    }

    /// A fresh temporary directory for one test, removed when the test process exits.
    static func temporaryDirectory() -> URL { ScratchDirectory.make("e2e") }

    static var trainCSV: String { root.appendingPathComponent("scripts/data/train.csv").path }
    static var testCSV: String { root.appendingPathComponent("scripts/data/test.csv").path }

    /// Trains on the committed training set into `directory/model.json`.
    static func trainModel(in directory: URL) throws -> String {
        let model = directory.appendingPathComponent("model.json").path
        let r = try run(["train", trainCSV, "--label", "churn_label", "--out", model])
        XCTAssertEqual(r.status, 0, r.stderr)
        return model
    }
}

/// A pipe's bytes, written by its reader thread before `group.leave()` and read after `group.wait()`.
private final class DataBox: @unchecked Sendable {  // ordered by the DispatchGroup
    var data = Data()
}
