// The target compiles the sheet scanner's own source files (symbolic links into Sources/ChurnIO)
// rather than depending on ChurnIO, whose swift-crypto dependency would have to be built with the
// sanitizers too: minutes of build for no coverage of interest.

// Input layout: the first byte picks how many bytes the XML scanner is fed at a time
// (first & 0x3F) + 1, as inflating a zip part hands them over in pieces. The rest is worksheet XML;
// if it holds a NUL byte, what comes before the first NUL is an xl/sharedStrings.xml part instead.
//
// Beyond "no crash" (and AddressSanitizer's checks; scripts/fuzz caps memory per input):
// - the outcome does not depend on how the XML was cut: fed in pieces or whole, the same CSV and
//   counts, or the same error at the same line and column;
// - a successful sheet's CSV is what its counts say: as many bytes and physical lines as
//   XLSXStreamStats reports, and records that the CSV scanner reads back without an error, as many
//   as reported, none narrower than the header.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let feedSize = Int(input[0] & 0x3F) + 1
    var body = UnsafeRawBufferPointer(rebasing: input[1...])
    var strings: UnsafeRawBufferPointer?
    if let nul = body.firstIndex(of: 0) {
        strings = UnsafeRawBufferPointer(rebasing: body[body.startIndex..<nul])
        body = UnsafeRawBufferPointer(rebasing: body[(nul + 1)...])
    }
    let pieces = run(body, strings, feedSize: feedSize)
    let whole = run(body, strings, feedSize: Int.max / 2)
    precondition(pieces == whole, "the outcome depends on how the XML was fed: \(pieces) vs \(whole)")
    if case let .success(csv, stats) = pieces { check(csv, stats) }
    return 0
}

private enum Outcome: Equatable {
    case success([UInt8], XLSXStreamStats)
    case failure(String)
}

private func run(_ sheet: UnsafeRawBufferPointer, _ strings: UnsafeRawBufferPointer?, feedSize: Int) -> Outcome {
    var csv: [UInt8] = []
    do {
        // Small output chunks, so that record boundaries between chunks are exercised too.
        let stats = try XLSXSheetScan.csv(sheetXML: sheet, sharedStringsXML: strings, feedSize: feedSize, chunkSize: 64) {
            csv.append(contentsOf: $0)
        }
        return .success(csv, stats)
    } catch let error as XLSXError {
        guard case .invalidXML = error.kind else { preconditionFailure("unexpected error kind: \(error)") }
        return .failure(error.description)
    } catch {
        preconditionFailure("unexpected error type: \(error)")
    }
}

private func check(_ csv: [UInt8], _ stats: XLSXStreamStats) {
    precondition(csv.count == stats.bytes, "wrote \(csv.count) bytes, stats say \(stats.bytes)")
    let newlines = csv.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    precondition(newlines == stats.lines, "wrote \(newlines) lines, stats say \(stats.lines)")
    csv.withUnsafeBytes { raw in
        var scanner = CSVRecordScanner(raw, firstLine: 1)
        defer { scanner.deallocate() }
        var records = 0
        while !scanner.atEnd {
            let (line, error) = scanner.nextRecord()
            precondition(error == nil, "CSV line \(line) does not read back: \(String(describing: error))")
            let blank = scanner.fieldCount == 0 || (scanner.fieldCount == 1 && scanner.bytes(0).isEmpty)
            if blank { continue }
            records += 1
            precondition(scanner.fieldCount >= stats.columns, "record at line \(line) is narrower than the header")
            if records == 1 { precondition(scanner.fieldCount == stats.columns, "the header's width is not the column count") }
        }
        precondition(records == stats.records, "read back \(records) records, stats say \(stats.records)")
    }
}

/// The seed corpus: small worksheets covering the cell types, sparse references, gaps between
/// rows, shared strings with rich text and phonetic runs, entities, CDATA and quoting.
func seedInputs() -> [(String, [UInt8])] {
    let open = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#
    let close = "</sheetData></worksheet>"
    let strings = #"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>id</t></si><si><r><t>rich </t></r><r><t xml:space="preserve">text, "quoted"</t></r><rPh><t>ph</t></rPh></si><si><t>line&#10;break</t></si></sst>"#
    let sheets: [(String, String?, String)] = [
        ("numbers", nil, #"<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="B1" t="inlineStr"><is><t>b</t></is></c></row><row r="2"><c r="A2"><v>1.5</v></c><c r="B2"><v>1E-3</v></c></row>"#),
        ("shared", strings, #"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="3"><c r="B3" t="s"><v>2</v></c></row>"#),
        ("types", nil, #"<row><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c><c t="inlineStr"><is><t>z</t></is></c></row><row><c t="b"><v>1</v></c><c t="e"><v>#DIV/0!</v></c><c t="str"><f>A1</f><v> lead</v></c></row>"#),
        ("sparse", nil, #"<row r="2"><c r="C2" t="inlineStr"><is><t>h</t></is></c></row><row r="5"><c r="$A$5"><v>7</v></c><c r="E5"><v>8</v></c></row><row r="6"/>"#),
        ("escapes", nil, #"<row r="1"><c r="A1" t="inlineStr"><is><t>&lt;&amp;&gt;&quot;&apos;&#x41;</t></is></c><c r="B1" t="inlineStr"><is><t><![CDATA[a,b]]></t></is></c></row><!-- c --><?pi x?><row r="2"><c r="A2"><v>1</v></c></row>"#),
    ]
    var seeds: [(String, [UInt8])] = []
    for (name, sst, rows) in sheets {
        var bytes: [UInt8] = []
        if let sst { bytes += Array(sst.utf8) + [0] }
        bytes += Array((open + rows + close).utf8)
        seeds.append(("\(name)-whole", [0x3F] + bytes))
        seeds.append(("\(name)-bytewise", [0x00] + bytes))
        seeds.append(("\(name)-pieces", [0x06] + bytes))
    }
    return seeds
}
