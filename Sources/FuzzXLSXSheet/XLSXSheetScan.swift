/// A worksheet's XML, already out of its zip, through the same XML scanner and CSV writer as
/// `XLSXReader.streamCSV` (whose files this target compiles in through symbolic links), so the
/// fuzzer reaches the scanner without forging zip archives.
enum XLSXSheetScan {
    /// Streams `sheetXML` as CSV, feeding the scanner `feedSize` bytes at a time (as inflating does).
    /// - Parameters:
    ///   - sharedStringsXML: an `xl/sharedStrings.xml` part for `t="s"` cells, or nil for none.
    ///   - emit: receives the CSV in chunks of whole records (about `chunkSize` bytes).
    /// - Throws: `XLSXError` (`.invalidXML` with line and column, named after the part), or what
    ///   `emit` throws.
    @discardableResult
    static func csv(
        sheetXML: UnsafeRawBufferPointer, sharedStringsXML: UnsafeRawBufferPointer?, feedSize: Int,
        chunkSize: Int, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> XLSXStreamStats {
        var strings = XLSXSharedStringsHandler()
        if let sharedStringsXML {
            try scan(sharedStringsXML, part: "xl/sharedStrings.xml", feedSize: feedSize, into: &strings)
        }
        return try withoutActuallyEscaping(emit) { emit in
            var writer = XLSXSheetCSVWriter(sheet: "Sheet1", strings: strings.table, chunkSize: chunkSize, emit: emit)
            do {
                try scan(sheetXML, part: "xl/worksheets/sheet1.xml", feedSize: feedSize, into: &writer)
                try writer.finish()
            } catch let error as XLSXCallerError {
                throw error.error
            }
            return writer.stats
        }
    }

    private static func scan<H: XLSXXMLHandler>(
        _ xml: UnsafeRawBufferPointer, part: String, feedSize: Int, into handler: inout H
    ) throws {
        var scanner = XLSXXMLScanner()
        let step = max(1, feedSize)
        do {
            var offset = 0
            while offset < xml.count {
                let end = min(xml.count, offset + step)
                try scanner.feed(UnsafeRawBufferPointer(rebasing: xml[offset..<end]), into: &handler)
                offset = end
            }
            try scanner.finish(into: &handler)
        } catch let failure as XLSXXMLFailure {
            throw XLSXError(path: "(xml)", .invalidXML(part: part, line: failure.line, column: failure.column, failure.message))
        }
    }
}
