import ChurnWire
import XCTest

/// Keeps proto-docs/ and the code from drifting apart: every hex example in the docs must decode to
/// the message its marker names, and must be byte for byte what the encoder makes of the example in
/// `WireExamples`.
///
/// Examples are written as a marker line and a fenced block; `#` starts a comment:
///
///     <!-- example: HELLO -->
///     ```hex
///     43 48 52 4e 01 01 00 00   # magic, version, type, flags
///     ```
///
/// To regenerate them: `CHURN_WIRE_PRINT_DOCS=1 swift test --filter ProtoDocsTests`.
final class ProtoDocsTests: XCTestCase {
    struct DocExample {
        var file: String
        var line: Int
        var name: String
        var bytes: [UInt8]
    }

    static var docsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("proto-docs")
    }

    static func examples() throws -> [DocExample] {
        let files = try FileManager.default.contentsOfDirectory(atPath: docsDirectory.path).filter { $0.hasSuffix(".md") }.sorted()
        var out: [DocExample] = []
        for file in files {
            let lines = try String(contentsOf: docsDirectory.appendingPathComponent(file), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var i = 0
            while i < lines.count {
                let line = lines[i].trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("<!-- example:"), line.hasSuffix("-->") {
                    let name = line.dropFirst("<!-- example:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
                    let start = i
                    i += 1
                    guard i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) == "```hex" else {
                        throw DocError("\(file):\(start + 1): marker not followed by a ```hex block")
                    }
                    i += 1
                    var hexText = ""
                    while i < lines.count, lines[i].trimmingCharacters(in: .whitespaces) != "```" {
                        hexText += (lines[i].split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") + " "
                        i += 1
                    }
                    let digits = hexText.filter { !$0.isWhitespace }
                    guard digits.count % 2 == 0, digits.allSatisfy(\.isHexDigit) else {
                        throw DocError("\(file):\(start + 1): \(name) example is not hex")
                    }
                    out.append(DocExample(file: file, line: start + 1, name: name, bytes: bytes(hex: digits)))
                }
                i += 1
            }
        }
        return out
    }

    struct DocError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    func testEveryDocExampleDecodesToItsMessage() throws {
        let examples = try Self.examples()
        XCTAssertFalse(examples.isEmpty, "no examples found in \(Self.docsDirectory.path)")
        for ex in examples {
            let where_ = "\(ex.file):\(ex.line) \(ex.name)"
            let (frame, message) = try decodeOne(ex.bytes)
            XCTAssertEqual(message.type.name, ex.name, where_)
            guard let reference = WireExamples.all.first(where: { $0.name == ex.name }) else {
                XCTFail("\(where_): no such message in WireExamples")
                continue
            }
            XCTAssertEqual(message, reference.message, where_)
            XCTAssertEqual(frame.requestId, reference.requestId, where_)
            XCTAssertEqual(ex.bytes, reference.encode(), "\(where_): regenerate with CHURN_WIRE_PRINT_DOCS=1")
        }
    }

    func testEveryMessageTypeHasADocExample() throws {
        let names = Set(try Self.examples().map(\.name))
        for type in MessageType.allCases {
            XCTAssertTrue(names.contains(type.name), "proto-docs has no example of \(type.name)")
        }
    }

    func testEveryErrorCodeIsDocumented() throws {
        let errors = try String(contentsOf: Self.docsDirectory.appendingPathComponent("errors.md"), encoding: .utf8)
        for code in ErrorCode.allDefined {
            let row = "| \(code.rawValue) | `\(code.name)` | \(code.closesConnection ? "yes" : "no") |"
            XCTAssertTrue(errors.contains(row), "errors.md lacks the row '\(row)'")
        }
    }

    func testPrintExamplesForDocs() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["CHURN_WIRE_PRINT_DOCS"] != nil, "set CHURN_WIRE_PRINT_DOCS=1")
        for ex in WireExamples.all {
            print(Self.markdown(ex))
        }
    }

    /// The marker and hex block of an example: the header annotated, the payload 16 bytes a line.
    static func markdown(_ ex: WireExample) -> String {
        let b = ex.encode()
        func h(_ r: Range<Int>) -> String { b[r].map { String(format: "%02x", $0) }.joined(separator: " ") }
        func pad(_ s: String) -> String { s.padding(toLength: 48, withPad: " ", startingAt: 0) }
        let length = b[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let crc = b[20..<24].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        var lines = [
            "<!-- example: \(ex.name) -->",
            "```hex",
            pad(h(0..<8)) + "# \"CHRN\", version 1, type 0x\(String(format: "%02x", b[5])) \(ex.name), flags 0x\(h(6..<8).replacingOccurrences(of: " ", with: ""))",
            pad(h(8..<16)) + "# request id \(ex.requestId)",
            pad(h(16..<24)) + "# payload length \(length), CRC-32C 0x\(String(format: "%08x", crc))",
        ]
        var i = 24
        while i < b.count {
            let end = min(b.count, i + 16)
            lines.append(h(i..<end))
            i = end
        }
        lines.append("```")
        return lines.joined(separator: "\n")
    }
}
