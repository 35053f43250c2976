import Foundation

/// Reads .xlsx workbooks so that their sheets go through the same byte-level CSV pipeline as CSV
/// files: a worksheet comes out as RFC 4180 CSV text, streamed in chunks with bounded memory.
///
/// Values come out as the workbook stores them: numbers exactly as written in the XML (`12.5`,
/// `1E-3`; never reformatted through `Double`), booleans as `TRUE`/`FALSE`, errors as their text
/// (`#DIV/0!`), formulas as their cached result. Dates are numbers with a date style, so they come
/// out as the stored serial number (`45292`), not as a formatted date; styles are not read.
///
/// A reader is an immutable value: it may be shared, and each `streamCSV` call opens the archive on
/// its own.
public struct XLSXReader: Sendable {
    private struct Sheet: Sendable {
        var name: String
        /// The worksheet's part name; nil when the workbook's relationship for it is missing.
        var part: String?
        var relationship: String
        var isWorksheet: Bool
        var isVisible: Bool
    }

    /// The file, as given; errors name it.
    public let path: String
    /// The sheet names in workbook (tab) order, hidden sheets and chart sheets included.
    public let sheetNames: [String]
    private let sheets: [Sheet]
    private let sharedStrings: XLSXSharedStrings

    /// Opens the workbook and reads its sheet list and shared string table.
    /// - Throws: `XLSXError` when the file is missing, not a zip, not a workbook, or damaged.
    public init(path: String) throws {
        self.path = path
        let package = try XLSXPackage(path: path)
        var workbookPart = "xl/workbook.xml"
        if let root = try package.relationships(of: ""),
            let office = root.values.first(where: { $0.hasType("officeDocument") })
        {
            workbookPart = office.target
        }
        guard package.name(of: workbookPart) != nil else {
            if package.name(of: "xl/workbook.bin") != nil {
                throw XLSXError(path: path, .notXLSX("an .xlsb binary workbook; save it as .xlsx"))
            }
            throw XLSXError(path: path, .notXLSX("no \(workbookPart)"))
        }
        var workbook = XLSXWorkbookHandler()
        try package.stream(part: workbookPart, into: &workbook)
        let relationships = try package.relationships(of: workbookPart) ?? [:]
        sheets = workbook.sheets.map { sheet in
            let relationship = relationships[sheet.relationship]
            return Sheet(
                name: sheet.name, part: relationship?.target, relationship: sheet.relationship,
                isWorksheet: relationship?.hasType("worksheet") ?? true, isVisible: sheet.visible)
        }
        sheetNames = sheets.map(\.name)

        var stringsPart: String? = relationships.values.first { $0.hasType("sharedStrings") }?.target
        if stringsPart == nil, package.name(of: "xl/sharedStrings.xml") != nil { stringsPart = "xl/sharedStrings.xml" }
        var strings = XLSXSharedStringsHandler()
        if let stringsPart { try package.stream(part: stringsPart, into: &strings) }
        sharedStrings = strings.table
    }

    /// Streams a worksheet as CSV: the header (the first row holding a value) first, then one record
    /// per spreadsheet row; fields joined by commas and quoted per RFC 4180 only when needed (comma,
    /// quote, CR or LF, leading or trailing space or tab); `"\n"` line ends; no byte order mark.
    /// Missing or empty rows between records become empty lines, so line numbers follow spreadsheet
    /// rows (see `XLSXStreamStats`). Memory stays bounded whatever the sheet's size: one chunk, one
    /// record, and the shared string table read by `init`.
    /// - Parameters:
    ///   - sheet: the sheet's name (an exact match, else one ignoring case); when nil, the first
    ///     visible worksheet (the first tab a user sees, chart sheets passed over).
    ///   - chunkSize: `emit` gets chunks of whole records of at least this many bytes (the last may
    ///     be smaller; a chunk exceeds it by less than one record).
    ///   - emit: receives each chunk; the bytes are valid only during the call. Its errors are
    ///     rethrown unchanged.
    /// - Returns: counts, and the mapping from CSV lines to spreadsheet rows.
    /// - Throws: `XLSXError` (unknown sheet, damaged file, malformed XML with its line and column),
    ///   or what `emit` throws.
    @discardableResult
    public func streamCSV(
        sheet: String? = nil, chunkSize: Int = 1 << 20, emit: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> XLSXStreamStats {
        let chosen = try self.sheet(named: sheet)
        guard let part = chosen.part else {
            throw XLSXError(path: path, .missingPart("sheet '\(chosen.name)' (relationship \(chosen.relationship))"))
        }
        let package = try XLSXPackage(path: path)
        return try withoutActuallyEscaping(emit) { emit in
            var writer = XLSXSheetCSVWriter(
                sheet: chosen.name, strings: sharedStrings, chunkSize: chunkSize, emit: emit)
            do {
                try package.stream(part: part, into: &writer)
                try writer.finish()
            } catch let error as XLSXCallerError {
                throw error.error
            }
            return writer.stats
        }
    }

    private func sheet(named name: String?) throws -> Sheet {
        guard let name else {
            guard let first = sheets.first(where: { $0.isWorksheet && $0.isVisible })
                ?? sheets.first(where: \.isWorksheet)
            else {
                throw XLSXError(path: path, .notXLSX("the workbook has no worksheet"))
            }
            return first
        }
        guard
            let found = sheets.first(where: { $0.name == name })
                ?? sheets.first(where: { $0.name.lowercased() == name.lowercased() })
        else {
            throw XLSXError(path: path, .unknownSheet(name, available: sheetNames))
        }
        guard found.isWorksheet else { throw XLSXError(path: path, .notAWorksheet(found.name)) }
        return found
    }
}
