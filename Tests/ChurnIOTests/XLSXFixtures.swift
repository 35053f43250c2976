import ChurnIO
import Foundation
import XCTest

/// Builds .xlsx fixtures at test time with python3: openpyxl for workbooks as a real writer makes
/// them, and `zipfile` for hand-written parts (shared strings, rich text, odd XML) that openpyxl
/// never produces. A missing python3 or openpyxl fails the test with a message; it is not skipped.
struct XLSXFixtures {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("churn-xlsx-tests-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Runs `python3 -c script args...` and returns its standard output.
    @discardableResult
    static func python(_ script: String, _ arguments: [String] = []) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw Failure(
                description:
                    "XLSX fixtures need python3 with openpyxl (pip install openpyxl); cannot run python3: \(error)")
        }
        // Read both pipes before waiting, so a chatty script cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }  // written by one thread before the join, read after
        let out = Box()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            out.data = output.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        process.waitUntilExit()
        let outData = out.data
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errData, as: UTF8.self)
            if message.contains("No module named 'openpyxl'") {
                throw Failure(description: "XLSX fixtures need openpyxl: run `pip install openpyxl` (\(message))")
            }
            throw Failure(
                description: "python3 fixture script failed (status \(process.terminationStatus)): \(message)")
        }
        return String(decoding: outData, as: UTF8.self)
    }

    /// Writes a zip of `parts` (name, UTF-8 text), in order, deflated unless `stored`.
    func zip(_ name: String, _ parts: [(String, String)], stored: Bool = false) throws -> String {
        let target = path(name)
        let spec = path(name + ".json")
        let json = try JSONSerialization.data(withJSONObject: parts.map { [$0.0, $0.1] })
        try json.write(to: URL(fileURLWithPath: spec))
        try Self.python(
            """
            import json, sys, zipfile
            parts = json.load(open(sys.argv[2], encoding='utf-8'))
            method = zipfile.ZIP_STORED if sys.argv[3] == 'stored' else zipfile.ZIP_DEFLATED
            with zipfile.ZipFile(sys.argv[1], 'w', method) as z:
                for name, text in parts:
                    z.writestr(name, text.encode('utf-8'))
            """, [target, spec, stored ? "stored" : "deflated"])
        return target
    }

    /// The parts every hand-written workbook needs, around the given worksheets.
    /// - Parameters:
    ///   - sheets: (name, part path under xl/, relationship type suffix, XML).
    ///   - hidden: names of sheets marked `state="hidden"`.
    static func package(
        sheets: [(String, String, String, String)], sharedStrings: String?, hidden: Set<String> = []
    ) -> [(String, String)] {
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        var parts: [(String, String)] = [
            (
                "[Content_Types].xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
                <Default Extension="xml" ContentType="application/xml"/></Types>
                """
            ),
            (
                "_rels/.rels",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                <Relationship Id="rId1" Type="\(rel)/officeDocument" Target="xl/workbook.xml"/></Relationships>
                """
            ),
        ]
        // Relationship ids deliberately not in sheet order.
        let ids = sheets.indices.map { "rId\(sheets.count - $0 + 10)" }
        var workbook = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <workbook xmlns="\(main)" xmlns:r="\(rel)"><sheets>
            """
        var rels = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            """
        for (k, sheet) in sheets.enumerated() {
            let escaped = sheet.0.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(
                of: "\"", with: "&quot;")
            let state = hidden.contains(sheet.0) ? " state=\"hidden\"" : ""
            workbook += "<sheet name=\"\(escaped)\" sheetId=\"\(k + 1)\"\(state) r:id=\"\(ids[k])\"/>"
            rels += "<Relationship Id=\"\(ids[k])\" Type=\"\(rel)/\(sheet.2)\" Target=\"\(sheet.1)\"/>"
            parts.append(("xl/" + sheet.1, sheet.3))
        }
        if let sharedStrings {
            rels += "<Relationship Id=\"rId1\" Type=\"\(rel)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
            parts.append(("xl/sharedStrings.xml", sharedStrings))
        }
        workbook += "</sheets></workbook>"
        rels += "</Relationships>"
        parts.append(("xl/workbook.xml", workbook))
        parts.append(("xl/_rels/workbook.xml.rels", rels))
        return parts
    }

    /// A worksheet part around `rows` (the XML of the `<row>` elements).
    static func worksheet(_ rows: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
        xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
        <dimension ref="A1"/><sheetData>\(rows)</sheetData><pageMargins left="0.7"/></worksheet>
        """
    }
}

/// Streams a sheet and returns the CSV text, checking the chunk contract on the way.
func xlsxCSV(
    _ reader: XLSXReader, sheet: String? = nil, chunkSize: Int = 1 << 20,
    file: StaticString = #filePath, line: UInt = #line
) throws -> (csv: String, stats: XLSXStreamStats) {
    var bytes: [UInt8] = []
    let stats = try reader.streamCSV(sheet: sheet, chunkSize: chunkSize) { chunk in
        XCTAssertFalse(chunk.isEmpty, "empty chunk", file: file, line: line)
        XCTAssertEqual(chunk.last, 0x0A, "a chunk must end at a record boundary", file: file, line: line)
        bytes.append(contentsOf: chunk)
    }
    XCTAssertEqual(stats.bytes, bytes.count, file: file, line: line)
    return (String(decoding: bytes, as: UTF8.self), stats)
}
