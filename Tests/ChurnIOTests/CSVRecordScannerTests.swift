import ChurnCore
import ChurnIO
import XCTest

final class CSVRecordScannerTests: XCTestCase {
    func records(_ text: String) -> [(line: UInt64, fields: [String], error: CSVRecordScanner.RecordError?)] {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { raw in
            var scanner = CSVRecordScanner(raw, firstLine: 2)
            defer { scanner.deallocate() }
            var out: [(UInt64, [String], CSVRecordScanner.RecordError?)] = []
            while !scanner.atEnd {
                let r = scanner.nextRecord()
                out.append((r.line, (0..<scanner.fieldCount).map { scanner.string($0) }, r.error))
            }
            return out
        }
    }

    func testQuotedFieldsWithCommasQuotesAndNewlines() {
        let r = records("a,\"b,c\",\"say \"\"hi\"\"\"\n\"multi\nline\",x,\n")
        XCTAssertEqual(r.count, 2)
        XCTAssertEqual(r[0].fields, ["a", "b,c", "say \"hi\""])
        XCTAssertEqual(r[0].line, 2)
        XCTAssertEqual(r[1].fields, ["multi\nline", "x", ""])
        XCTAssertEqual(r[1].line, 3)
    }

    func testCRLFAndLineNumbersAfterEmbeddedNewlines() {
        let r = records("1,2\r\n\"a\r\nb\",3\r\n4,5")
        XCTAssertEqual(r.map(\.fields), [["1", "2"], ["a\r\nb", "3"], ["4", "5"]])
        XCTAssertEqual(r.map(\.line), [2, 3, 5])
    }

    func testMalformedQuotesAreReportedAndScanningGoesOn() {
        let r = records("\"ab\"c,1\nok,2\n\"never closed,3\n")
        XCTAssertEqual(r[0].error, .textAfterClosingQuote(column: 1))
        XCTAssertEqual(r[1].fields, ["ok", "2"])
        XCTAssertEqual(r[1].line, 3)
        XCTAssertEqual(r[2].error, .unterminatedQuote)
    }

    /// Unquoted fields are scanned eight bytes at a time: every field length and separator position
    /// across word boundaries, with and without CRLF, against a plain split.
    func testUnquotedFieldsOfEveryLengthAgainstAPlainSplit() {
        var state: UInt64 = 12345
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let alphabet = Array("abcXYZ019.-_ @é\t\r".map { String($0) })
        var lines: [[String]] = []
        for _ in 0..<400 {
            lines.append((0..<(1 + next(6))).map { _ in
                (0..<next(20)).map { _ in alphabet[next(alphabet.count - 1)] }.joined()  // no bare CR
            })
        }
        for ending in ["\n", "\r\n"] {
            let text = lines.map { $0.joined(separator: ",") }.joined(separator: ending)
            let got = records(text)
            XCTAssertEqual(got.count, lines.count, ending.debugDescription)
            for (k, (record, want)) in zip(got, lines).enumerated() {
                // A line with nothing on it is an empty record, not one empty field.
                XCTAssertEqual(record.fields, want == [""] ? [] : want, "line \(k) with \(ending.debugDescription)")
                XCTAssertEqual(record.line, UInt64(k + 2))
                XCTAssertNil(record.error)
            }
        }
    }

    /// Records of plain fields are read a word at a time and give up at the first quote or CR they
    /// meet, even one of a later record: random mixes of plain, quoted and CRLF records, written the
    /// RFC 4180 way, must come back field for field on the right lines, with the buffer ending
    /// anywhere in the last record's line end.
    func testMixedPlainQuotedAndCRLFRecordsComeBackAsWritten() {
        var state: UInt64 = 987
        func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
        let plain = Array("abcXYZ019.-_ @é\t".map { String($0) })
        let special = ["\"", ",", "\n", "\r\n", "\r"]
        for round in 0..<60 {
            var text = ""
            var want: [(line: UInt64, fields: [String])] = []
            var line: UInt64 = 2
            for _ in 0..<(1 + next(40)) {
                let fields = (0..<(1 + next(14))).map { _ in
                    (0..<next(18)).map { _ in next(12) == 0 ? special[next(special.count)] : plain[next(plain.count)] }.joined()
                }
                if fields == [""] { continue }  // an empty line is no record
                let written = fields.map { f -> String in
                    guard f.utf8.contains(where: { [0x22, 0x2C, 0x0A, 0x0D].contains($0) }) || next(10) == 0 else { return f }
                    return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                }
                want.append((line, fields))
                text += written.joined(separator: ",") + (next(3) == 0 ? "\r\n" : "\n")
                line += UInt64(fields.joined().utf8.filter { $0 == 0x0A }.count) + 1
            }
            // Without the final line end too.
            for cut in [0, 1] where cut == 0 || text.hasSuffix("\n") {
                let input = cut == 0 ? text : String(text.dropLast())
                let got = records(input)
                XCTAssertEqual(got.map(\.fields), want.map(\.fields), "round \(round) cut \(cut)")
                XCTAssertEqual(got.map(\.line), want.map(\.line), "round \(round) cut \(cut)")
                XCTAssertTrue(got.allSatisfy { $0.error == nil })
            }
        }
    }

    func testBoundaryIgnoresNewlinesInsideQuotes() {
        let text = Array("a,b\n\"x\ny\",z\n\"open\n".utf8)
        let end = text.withUnsafeBytes { CSVBoundary.endOfLastRecord($0) }
        XCTAssertEqual(end, 12)  // after `"x\ny",z\n`, not inside the open quote
        XCTAssertEqual(text.withUnsafeBytes { CSVBoundary.countNewlines($0) }, 4)
    }

    /// `countNewlines` counts sixteen bytes a compare with one byte of count per lane: the same
    /// count as a byte loop at every length and alignment, and past 255 blocks of nothing but
    /// newlines, where a lane's byte would overflow if the block sums came late.
    func testCountNewlinesAgreesWithAByteLoop() {
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<20_000).map { _ in UInt8.random(in: 0..<4, using: &generator) == 0 ? 0x0A : UInt8.random(in: 0x09...0x7E, using: &generator) }
        bytes += [UInt8](repeating: 0x0A, count: 255 * 16 * 2 + 37)
        bytes.withUnsafeBytes { all in
            for (start, length) in [(0, 0), (0, 1), (3, 15), (0, 16), (5, 17), (1, 4080), (0, 4096), (7, 4097), (0, all.count)]
                + (0..<300).map({ _ in (Int.random(in: 0..<100, using: &generator), Int.random(in: 0..<20_000, using: &generator)) })
                + [(20_000, 255 * 16 * 2 + 37), (19_990, 255 * 16 + 20), (20_003, 255 * 16)] {
                let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                XCTAssertEqual(CSVBoundary.countNewlines(slice), UInt64(slice.filter { $0 == 0x0A }.count), "\(start) \(length)")
            }
        }
    }
}

final class ChunkReaderTests: XCTestCase {
    func temporaryFile(_ text: String) -> String {
        let path = NSTemporaryDirectory() + "churn-io-\(UUID().uuidString).csv"
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    func testHeaderWithBOMAndChunksOfWholeRecords() throws {
        var text = "\u{FEFF}id,\"note\",v\n"
        for i in 0..<2000 { text += i % 10 == 0 ? "\(i),\"line one\nline two, with comma\",\(i)\n" : "\(i),plain,\(i)\n" }
        let path = temporaryFile(text)
        defer { unlink(path) }
        let reader = try ChunkReader(path: path, chunkSize: 1024)
        XCTAssertEqual(reader.header, ["id", "note", "v"])
        var ids: [Int] = []
        var expectedLine: UInt64 = 2
        var chunks = 0
        while let chunk = try reader.nextChunk() {
            chunks += 1
            XCTAssertEqual(chunk.firstLine, expectedLine)
            expectedLine += chunk.lineCount
            chunk.bytes.withUnsafeBytes { raw in
                var s = CSVRecordScanner(raw, firstLine: chunk.firstLine)
                defer { s.deallocate() }
                while !s.atEnd {
                    let r = s.nextRecord()
                    XCTAssertNil(r.error)
                    XCTAssertEqual(s.fieldCount, 3)
                    ids.append(Int(s.string(0))!)
                }
            }
        }
        XCTAssertGreaterThan(chunks, 10)
        XCTAssertEqual(ids, Array(0..<2000))
        XCTAssertEqual(expectedLine, 2 + 2000 + 200)
    }

    func testErrorsNameTheFile() {
        XCTAssertThrowsError(try ChunkReader(path: "/nonexistent/customers.csv")) {
            XCTAssertTrue("\($0)".hasPrefix("/nonexistent/customers.csv: "), "\($0)")
        }
        let empty = temporaryFile("")
        defer { unlink(empty) }
        XCTAssertThrowsError(try ChunkReader(path: empty)) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        let dup = temporaryFile("a,b,a\n1,2,3\n")
        defer { unlink(dup) }
        XCTAssertThrowsError(try ChunkReader(path: dup)) { XCTAssertTrue("\($0)".contains("appears twice"), "\($0)") }
    }
}
