import ChurnIO
import Foundation
import XCTest

final class XLSXReaderTests: XCTestCase {
    private var fixtures: XLSXFixtures!

    override func setUpWithError() throws {
        fixtures = try XLSXFixtures()
    }

    override func tearDown() {
        fixtures?.remove()
    }

    // MARK: - Workbooks written by openpyxl

    func testOpenpyxlWorkbookWithInlineStrings() throws {
        let path = fixtures.path("openpyxl.xlsx")
        let layout = try XLSXFixtures.python(
            """
            import sys, datetime, zipfile, openpyxl
            wb = openpyxl.Workbook(); ws = wb.active; ws.title = 'Customers'
            ws.append(['customer_id', 'name', 'mrr', 'active', 'note', 'signup'])
            ws.append(['C001', 'Smith, Jane', 12.5, True, 'said "hi"', datetime.date(2024, 1, 1)])
            ws.append(['C002', ' lead space', 3, False, 'two\\nlines', None])
            ws.append(['C003', None, 0.001, None, '=1/0', None])
            ws['A6'] = 'C006'; ws['B6'] = '=A6&"x"'; ws['C6'] = 1e-20; ws['D6'] = 1234567890123456789
            other = wb.create_sheet('Other'); other.append(['k', 'v']); other.append(['a', 1])
            wb.save(sys.argv[1])
            z = zipfile.ZipFile(sys.argv[1]); names = z.namelist()
            sheet = z.read('xl/worksheets/sheet1.xml').decode()
            print('sharedStrings' if 'xl/sharedStrings.xml' in names else 'noSharedStrings',
                  'inlineStr' if 't="inlineStr"' in sheet else 'noInlineStr',
                  't="s"' in sheet)
            """, [path])
        // What NOTES.md says: openpyxl writes inline strings and no shared string table.
        XCTAssertEqual(layout.trimmingCharacters(in: .whitespacesAndNewlines), "noSharedStrings inlineStr False")

        let reader = try XLSXReader(path: path)
        XCTAssertEqual(reader.sheetNames, ["Customers", "Other"])
        let (csv, stats) = try xlsxCSV(reader)
        XCTAssertEqual(
            csv,
            #"""
            customer_id,name,mrr,active,note,signup
            C001,"Smith, Jane",12.5,TRUE,"said ""hi""",45292
            C002," lead space",3,FALSE,"two
            lines",
            C003,,0.001,,,

            C006,,9.999999999999999e-21,1.234567890123457e+18,,

            """#)
        XCTAssertEqual(stats.sheet, "Customers")
        XCTAssertEqual(stats.headerRow, 1)
        XCTAssertEqual(stats.lastRow, 6)
        XCTAssertEqual(stats.columns, 6)
        XCTAssertEqual(stats.records, 5)
        XCTAssertEqual(stats.blankLines, 1)
        XCTAssertEqual(stats.lines, 7)
        // Row 3 spans lines 3-4, so from there on line = row + 1.
        XCTAssertEqual((1...7).map { stats.sheetRow(forLine: $0) }, [1, 2, 3, 4, 4, 5, 6])
        XCTAssertNil(stats.sheetRow(forLine: 8))

        let (other, _) = try xlsxCSV(reader, sheet: "Other")
        XCTAssertEqual(other, "k,v\na,1\n")
    }

    func testLargeWorkbookStreamsWithBoundedMemory() throws {
        let rows = Int(ProcessInfo.processInfo.environment["CHURN_XLSX_ROWS"] ?? "") ?? 50_000
        let path = fixtures.path("large.xlsx")
        let expectedPath = fixtures.path("large.csv")
        let sizes = try XLSXFixtures.python(
            """
            import sys, zipfile, openpyxl
            from openpyxl.compat.strings import safe_string
            rows = int(sys.argv[3])
            wb = openpyxl.Workbook(write_only=True); ws = wb.create_sheet('Customers')
            header = ['customer_id', 'segment', 'region', 'avg_daily_usage', 'usage_drop_pct', 'open_tickets',
                      'failed_payments', 'days_since_last_login', 'tenure_months', 'mrr',
                      'recent_support_escalations', 'payment_streak', 'churn_label', 'plan', 'contract', 'note']
            segments = ['enterprise', 'mid-market', 'small-business']
            regions = ['north', 'south', 'east', 'west']
            notes = ['', 'ok', 'call back, urgent', 'said "cancel"']
            def quote(s):
                return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\\r\\n') else s
            with open(sys.argv[2], 'w', newline='') as out:
                ws.append(header); out.write(','.join(header) + '\\n')
                for i in range(rows):
                    row = ['C%07d' % i, segments[i % 3], regions[i % 4], (i % 997) * 0.37, (i % 101) / 4,
                           i % 5, i % 3, i % 90, 1 + i % 72, 49.99 + i % 500, i % 2, i % 24, i % 2,
                           'pro' if i % 2 else 'basic', 'annual' if i % 3 else 'monthly', notes[i % 4]]
                    ws.append([v if v != '' else None for v in row])
                    out.write(','.join(quote(v) if isinstance(v, str) else safe_string(v) for v in row) + '\\n')
            wb.save(sys.argv[1])
            info = zipfile.ZipFile(sys.argv[1]).getinfo('xl/worksheets/sheet1.xml')
            print(info.file_size, info.compress_size)
            """, [path, expectedPath, String(rows)])
        let sheetXMLBytes = Int(sizes.split(separator: " ")[0])!

        let reader = try XLSXReader(path: path)
        let expected = try Data(contentsOf: URL(fileURLWithPath: expectedPath))
        var produced = Data()
        produced.reserveCapacity(expected.count)
        let chunkSize = 256 << 10
        var chunks = 0
        var largestChunk = 0
        let baseline = residentBytes()
        var peak = baseline
        let start = Date()
        let stats = try reader.streamCSV(chunkSize: chunkSize) { chunk in
            chunks += 1
            largestChunk = max(largestChunk, chunk.count)
            produced.append(contentsOf: chunk)
            peak = max(peak, residentBytes())
        }
        let seconds = Date().timeIntervalSince(start)
        print(
            "XLSX stream: \(rows) rows x 16 columns, sheet XML \(sheetXMLBytes >> 20) MiB, "
                + "CSV \(stats.bytes >> 20) MiB, "
                + "\(String(format: "%.2f", seconds)) s, \(Int(Double(rows) / seconds)) rows/s, "
                + "resident growth \((peak - baseline) >> 20) MiB (less the CSV kept by the test)")

        XCTAssertEqual(stats.records, rows + 1)
        XCTAssertEqual(stats.lines, rows + 1)
        XCTAssertEqual(stats.columns, 16)
        XCTAssertEqual(produced.count, expected.count)
        XCTAssertTrue(produced == expected, "CSV differs from the values written")
        XCTAssertGreaterThan(chunks, 10)
        XCTAssertLessThan(largestChunk, chunkSize + 4096)
        // Memory: the test itself keeps the CSV; the reader must not keep the sheet's XML. The
        // growth beyond the CSV must stay well below the XML's size.
        let growth = peak - baseline - produced.count
        if rows >= 50_000 { XCTAssertGreaterThan(sheetXMLBytes, 30 << 20) }
        XCTAssertLessThan(growth, 12 << 20, "resident memory grew by \(growth >> 20) MiB beyond the CSV")
    }

    // MARK: - Hand-written workbooks: shared strings and every cell type

    private static let sharedStrings = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="16" uniqueCount="15">\
        <si><t>id</t></si>\
        <si><t>name</t></si>\
        <si><t>note</t></si>\
        <si><r><rPr><b/></rPr><t>Big</t></r><r><t xml:space="preserve"> Corp</t></r></si>\
        <si><t>Smith, Jane</t></si>\
        <si><t>say "hi"</t></si>\
        <si><t>line1
        line2</t></si>\
        <si><t xml:space="preserve">  padded </t></si>\
        <si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>\
        <si><t>a&amp;b &lt;c&gt;</t></si>\
        <si><t>cr_x000D_here</t></si>\
        <si><t/></si>\
        <si><t>literal _x005F_x0041_</t></si>\
        <si><t>score</t></si>\
        <si><t>flag</t></si>\
        </sst>
        """

    private static let dataSheet = XLSXFixtures.worksheet(
        """
        <row r="1" spans="1:6"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>\
        <c r="D1" t="s"><v>13</v></c><c r="E1" t="s"><v>14</v></c>\
        <c r="F1" t="inlineStr"><is><t>extra</t></is></c></row>\
        <row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" t="s"><v>4</v></c>\
        <c r="D2" t="n"><v>12.5</v></c><c r="E2" t="b"><v>1</v></c><c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>\
        <row r="3"><c r="A3"><v>2</v></c><c r="B3" t="s"><v>5</v></c><c r="C3" t="s"><v>6</v></c>\
        <c r="D3"><v>1E-3</v></c><c r="E3" t="b"><v>0</v></c></row>\
        <row r="5"><c r="A5"><v>3</v></c><c r="C5" t="s"><v>7</v></c>\
        <c r="D5" t="str"><f>"x"&amp;A5</f><v>x3</v></c><c r="F5" t="s"><v>8</v></c></row>\
        <row r="6"><c r="A6" s="1"/><c r="B6" t="s"><v>11</v></c></row>\
        <row r="7"><c r="A7"><v>4</v></c><c r="B7" t="s"><v>9</v></c><c r="C7" t="s"><v>10</v></c>\
        <c r="D7"><f>1/0</f></c><c r="E7" t="inlineStr"><is><r><t>ri</t></r><r><rPr><i/></rPr><t>ch</t></r></is></c>\
        <c r="F7" t="s"><v>12</v></c></row>\
        <row r="8"><c r="A8"><v>5</v></c><c r="B8" s="2"><v>45292</v></c>\
        <c r="G8" t="inlineStr"><is><t>beyond</t></is></c></row>\
        <row r="9"><c r="A9" t="inlineStr"><is><t> lead</t></is></c><c r="B9" t="e"><v>#N/A</v></c></row>\
        <row r="10" s="3" customFormat="1"/><row r="11"><c r="C11" s="2"/></row>
        """)

    private static let secondSheet = XLSXFixtures.worksheet(
        """
        <row r="3"><c r="B3" t="s"><v>0</v></c><c r="C3" t="inlineStr"><is><t>v</t></is></c></row>\
        <row r="4"><c r="B4"><v>1</v></c><c r="C4" t="inlineStr"><is><t>x</t></is></c></row>\
        <row r="6"><c r="B6"><v>2</v></c><c r="C6" t="inlineStr"><is><t>y</t></is></c></row>
        """)

    private static let lookupSheet = XLSXFixtures.worksheet("<row r=\"1\"><c r=\"A1\"><v>0</v></c></row>")

    private func handWrittenWorkbook() throws -> String {
        let chart = """
            <?xml version="1.0" encoding="UTF-8"?>\
            <chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>
            """
        return try fixtures.zip(
            "hand.xlsx",
            XLSXFixtures.package(
                sheets: [
                    ("Chart & \"Notes\"", "chartsheets/sheet1.xml", "chartsheet", chart),
                    ("Lookup", "worksheets/lookup.xml", "worksheet", Self.lookupSheet),
                    ("Data", "worksheets/sheet1.xml", "worksheet", Self.dataSheet),
                    ("Second Sheet", "worksheets/data/second.xml", "worksheet", Self.secondSheet),
                ], sharedStrings: Self.sharedStrings, hidden: ["Lookup"]))
    }

    func testSharedStringsAndEveryCellType() throws {
        let reader = try XLSXReader(path: try handWrittenWorkbook())
        XCTAssertEqual(reader.sheetNames, ["Chart & \"Notes\"", "Lookup", "Data", "Second Sheet"])
        // No sheet named: the first visible worksheet (a chart sheet and a hidden sheet come first).
        let (csv, stats) = try xlsxCSV(reader)
        XCTAssertEqual(
            csv,
            #"""
            id,name,note,score,flag,extra
            1,Big Corp,"Smith, Jane",12.5,TRUE,#DIV/0!
            2,"say ""hi""","line1
            line2",1E-3,FALSE,

            3,,"  padded ",x3,,東京

            4,a&b <c>,"cr\#rhere",,rich,literal _x0041_
            5,45292,,,,,beyond
            " lead",#N/A,,,,

            """#)
        XCTAssertEqual(stats.sheet, "Data")
        XCTAssertEqual(stats.headerRow, 1)
        XCTAssertEqual(stats.lastRow, 9)
        XCTAssertEqual(stats.columns, 6)
        XCTAssertEqual(stats.records, 7)
        XCTAssertEqual(stats.widerRecords, 1)
        XCTAssertEqual(stats.blankLines, 2)
        XCTAssertEqual(stats.lines, 10)
        XCTAssertEqual((1...10).map { stats.sheetRow(forLine: $0) }, [1, 2, 3, 4, 4, 5, 6, 7, 8, 9])
    }

    func testSheetChosenByNameAndHeaderBelowRowOne() throws {
        let reader = try XLSXReader(path: try handWrittenWorkbook())
        for name in ["Second Sheet", "second sheet"] {
            let (csv, stats) = try xlsxCSV(reader, sheet: name)
            XCTAssertEqual(csv, ",id,v\n,1,x\n\n,2,y\n")
            XCTAssertEqual(stats.sheet, "Second Sheet")
            XCTAssertEqual(stats.headerRow, 3)
            XCTAssertEqual((1...4).map { stats.sheetRow(forLine: $0) }, [3, 4, 5, 6])
        }
    }

    func testUnknownSheetListsTheSheets() throws {
        let path = try handWrittenWorkbook()
        let reader = try XLSXReader(path: path)
        XCTAssertThrowsError(try reader.streamCSV(sheet: "Sheet9") { _ in }) { error in
            XCTAssertEqual(
                error as? XLSXError,
                XLSXError(
                    path: path,
                    .unknownSheet("Sheet9", available: ["Chart & \"Notes\"", "Lookup", "Data", "Second Sheet"])))
            XCTAssertEqual(
                "\(error)",
                "\(path): no sheet named 'Sheet9'; sheets: 'Chart & \"Notes\"', 'Lookup', 'Data', 'Second Sheet'")
        }
        XCTAssertThrowsError(try reader.streamCSV(sheet: "Chart & \"Notes\"") { _ in }) { error in
            XCTAssertEqual(error as? XLSXError, XLSXError(path: path, .notAWorksheet("Chart & \"Notes\"")))
        }
    }

    func testHiddenSheetIsReadWhenNamed() throws {
        let (csv, _) = try xlsxCSV(try XLSXReader(path: try handWrittenWorkbook()), sheet: "Lookup")
        XCTAssertEqual(csv, "0\n")
    }

    func testSmallChunksHoldWholeRecords() throws {
        let reader = try XLSXReader(path: try handWrittenWorkbook())
        let (whole, _) = try xlsxCSV(reader)
        // `xlsxCSV` checks that every chunk ends at a record boundary.
        let (pieces, stats) = try xlsxCSV(reader, chunkSize: 1)
        XCTAssertEqual(pieces, whole)
        XCTAssertEqual(stats.bytes, whole.utf8.count)
    }

    func testLineNumbersAsTheCSVScannerCountsThem() throws {
        let reader = try XLSXReader(path: try handWrittenWorkbook())
        var bytes: [UInt8] = []
        let stats = try reader.streamCSV { bytes.append(contentsOf: $0) }
        // The CSV side reports a row by the physical line its record starts on, skipping empty lines.
        var rows: [Int] = []
        bytes.withUnsafeBytes { raw in
            var scanner = CSVRecordScanner(raw, firstLine: 1)
            while !scanner.atEnd {
                let record = scanner.nextRecord()
                if scanner.fieldCount > 0 { rows.append(stats.sheetRow(forLine: Int(record.line)) ?? -1) }
            }
        }
        XCTAssertEqual(rows, [1, 2, 3, 5, 7, 8, 9])
    }

    func testNamespacePrefixesCommentsCDATAAndLineEnds() throws {
        let sheet =
            "\u{FEFF}<?xml version='1.0' encoding='utf-8'?>\r\n<!-- written by hand -->\r\n"
            + "<x:worksheet xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\r\n"
            + "<x:sheetData>\r\n"
            + "  <x:row r = '1' ><x:c r=\"A1\" t='inlineStr' ><x:is><x:t>k</x:t></x:is></x:c>"
            + "<x:c r='B1' t=\"inlineStr\"><x:is><x:t>v</x:t></x:is></x:c></x:row>\r\n"
            + "  <x:row r=\"2\"><!-- a comment --><x:c r=\"A2\" t=\"inlineStr\"><x:is><x:t>a\r\nb\rc</x:t></x:is></x:c>"
            + "<x:c r=\"B2\" t=\"str\"><x:v><![CDATA[<&>]]>&#x4E2D;&#20013;</x:v></x:c></x:row>\r\n"
            + "  <x:row><x:c t=\"inlineStr\"><x:is><x:t>no refs</x:t></x:is></x:c><x:c><x:v>7</x:v></x:c></x:row>\r\n"
            + "</x:sheetData><?some-instruction data?>\r\n</x:worksheet>\r\n<!-- after -->\r\n"
        let path = try fixtures.zip(
            "prefixed.xlsx",
            XLSXFixtures.package(
                sheets: [("S", "worksheets/sheet1.xml", "worksheet", sheet)], sharedStrings: nil))
        let (csv, stats) = try xlsxCSV(try XLSXReader(path: path))
        XCTAssertEqual(csv, "k,v\n\"a\nb\nc\",<&>中中\nno refs,7\n")
        XCTAssertEqual(stats.lastRow, 3)
    }

    func testEmptySheetWritesNothing() throws {
        let path = try fixtures.zip(
            "empty.xlsx",
            XLSXFixtures.package(
                sheets: [
                    (
                        "Empty", "worksheets/sheet1.xml", "worksheet",
                        XLSXFixtures.worksheet("<row r=\"4\"><c r=\"B4\" s=\"1\"/></row>")
                    )
                ], sharedStrings: nil))
        let (csv, stats) = try xlsxCSV(try XLSXReader(path: path))
        XCTAssertEqual(csv, "")
        XCTAssertEqual(stats.headerRow, 0)
        XCTAssertEqual(stats.records, 0)
        XCTAssertNil(stats.sheetRow(forLine: 1))
    }

    // MARK: - Errors name the file

    private func assertXLSXError(
        _ path: String, sheet: String? = nil, _ expected: XLSXError.Kind,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try XLSXReader(path: path).streamCSV(sheet: sheet) { _ in }, file: file, line: line) {
            error in
            XCTAssertEqual(error as? XLSXError, XLSXError(path: path, expected), file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)", file: file, line: line)
        }
    }

    func testFilesThatAreNotWorkbooks() throws {
        let missing = fixtures.path("missing.xlsx")
        assertXLSXError(missing, .unreadable("no such file"))

        let text = fixtures.path("text.xlsx")
        try Data("id,name\n1,a\n".utf8).write(to: URL(fileURLWithPath: text))
        assertXLSXError(text, .notZip)

        let ole = fixtures.path("protected.xlsx")
        try Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504))
            .write(to: URL(fileURLWithPath: ole))
        assertXLSXError(ole, .encryptedOrLegacy)

        let plainZip = try fixtures.zip("plain.xlsx", [("readme.txt", "hello")])
        assertXLSXError(plainZip, .notXLSX("no xl/workbook.xml"))
    }

    private func workbook(_ name: String, sheet: String, sharedStrings: String? = nil, stored: Bool = false) throws
        -> String
    {
        try fixtures.zip(
            name,
            XLSXFixtures.package(
                sheets: [("S", "worksheets/sheet1.xml", "worksheet", sheet)],
                sharedStrings: sharedStrings), stored: stored)
    }

    func testCorruptXMLIsLocatedByLineAndColumn() throws {
        let mismatched = try workbook(
            "mismatched.xlsx",
            sheet: """
                <?xml version="1.0"?>
                <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
                <sheetData>
                <row r="1"><c r="A1"><v>1</v></row>
                </sheetData></worksheet>
                """)
        assertXLSXError(
            mismatched,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 4, column: 30,
                "end tag </row> does not match <c>"))

        let truncated = try workbook(
            "truncated.xlsx",
            sheet: """
                <?xml version="1.0"?>
                <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
                <row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c>
                """)
        assertXLSXError(
            truncated,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 3,
                column: "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\"><v>2</v></c>".utf8.count
                    + 1,
                "unexpected end of the document: <row> is not closed"))

        let entitySheet = XLSXFixtures.worksheet(
            "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a&nbsp;b</t></is></c></row>")
        let entity = try workbook("entity.xlsx", sheet: entitySheet)
        assertXLSXError(
            entity,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 2,
                column: column(of: "&nbsp;", in: entitySheet), "unknown entity &nbsp;"))

        let dtd = try workbook("dtd.xlsx", sheet: "<!DOCTYPE lol [<!ENTITY lol \"lol\">]><worksheet/>")
        assertXLSXError(
            dtd,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 1, column: 1,
                "a DTD (<!DOCTYPE) is not allowed in an .xlsx part"))

        let badStrings = try workbook(
            "badsst.xlsx", sheet: XLSXFixtures.worksheet(""), sharedStrings: "<sst><si><t>a</si></sst>")
        assertXLSXError(
            badStrings,
            .invalidXML(
                part: "xl/sharedStrings.xml", line: 1, column: 14,
                "end tag </si> does not match <t>"))
    }

    func testImpossibleCellContent() throws {
        let indexSheet = XLSXFixtures.worksheet(
            "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>7</v></c></row>")
        let index = try workbook("index.xlsx", sheet: indexSheet, sharedStrings: "<sst><si><t>a</t></si></sst>")
        assertXLSXError(
            index,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 2,
                column: column(of: "<v>7</v></c>", in: indexSheet) + 8,
                "cell B1: shared string index '7' is not in the table (1 strings)"))

        let orderSheet = XLSXFixtures.worksheet(
            "<row r=\"2\"><c r=\"A2\"><v>1</v></c></row><row r=\"1\"><c r=\"A1\"><v>1</v></c></row>")
        let order = try workbook("order.xlsx", sheet: orderSheet)
        assertXLSXError(
            order,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 2,
                column: column(of: "<row r=\"1\">", in: orderSheet),
                "row 1 comes after row 2: rows out of order or repeated"))

        let referenceSheet = XLSXFixtures.worksheet("<row r=\"1\"><c r=\"1A\"><v>1</v></c></row>")
        let reference = try workbook("ref.xlsx", sheet: referenceSheet)
        assertXLSXError(
            reference,
            .invalidXML(
                part: "xl/worksheets/sheet1.xml", line: 2,
                column: column(of: "<c r=\"1A\">", in: referenceSheet),
                "invalid cell reference '1A' in row 1"))
    }

    func testDamagedZipData() throws {
        let path = try workbook(
            "crc.xlsx",
            sheet: XLSXFixtures.worksheet(
                "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>SENTINEL</t></is></c></row>"), stored: true)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let range = try XCTUnwrap(data.range(of: Data("SENTINEL".utf8)))
        data[range.upperBound - 1] = UInt8(ascii: "X")
        try data.write(to: URL(fileURLWithPath: path))
        assertXLSXError(path, .damagedPart("xl/worksheets/sheet1.xml", "CRC mismatch: the data is corrupt"))
    }

    func testErrorsOfEmitPassThroughUnchanged() throws {
        struct Stop: Error, Equatable {}
        let reader = try XLSXReader(path: try handWrittenWorkbook())
        XCTAssertThrowsError(try reader.streamCSV(chunkSize: 1) { _ in throw Stop() }) { error in
            XCTAssertEqual(error as? Stop, Stop())
        }
    }

    // MARK: - Helpers

    /// The 1-based byte column of `needle` on line 2 of a `XLSXFixtures.worksheet` part.
    private func column(of needle: String, in xml: String) -> Int {
        let line = xml.components(separatedBy: "\n")[1]
        let range = line.range(of: needle)!
        return line.utf8.distance(from: line.startIndex, to: range.lowerBound) + 1
    }

    /// Resident set size of this process, from /proc.
    private func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
