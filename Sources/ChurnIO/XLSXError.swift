/// Why an .xlsx file cannot be read. The description names the file, like `InputError`:
/// `data.xlsx: xl/worksheets/sheet1.xml line 2, column 120: end tag </row> does not match <c>`.
public struct XLSXError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The file cannot be opened (missing, a directory, no permission).
        case unreadable(String)
        /// The file is not a zip archive at all.
        case notZip
        /// An OLE compound file: a password-protected workbook or a legacy .xls.
        case encryptedOrLegacy
        /// A zip archive, but not a spreadsheet package (no workbook part).
        case notXLSX(String)
        /// No sheet of that name; `available` lists the sheet names in workbook order.
        case unknownSheet(String, available: [String])
        /// The sheet exists but is not a worksheet (a chart sheet, a dialog or macro sheet).
        case notAWorksheet(String)
        /// A part the workbook refers to is not in the archive.
        case missingPart(String)
        /// The zip data of a part is damaged (bad deflate data, CRC mismatch).
        case damagedPart(String, String)
        /// A part's XML is malformed or holds impossible content; line and column locate it.
        case invalidXML(part: String, line: Int, column: Int, String)
    }

    public let path: String
    public let kind: Kind

    public init(path: String, _ kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        let message: String
        switch kind {
        case .unreadable(let reason): message = reason
        case .notZip: message = "is not an .xlsx file (not a zip archive)"
        case .encryptedOrLegacy:
            message = "is a password-protected workbook or a legacy .xls file; save it as an unprotected .xlsx"
        case .notXLSX(let detail): message = "is not an .xlsx workbook (\(detail))"
        case .unknownSheet(let name, let available):
            message = "no sheet named '\(name)'; sheets: " + available.map { "'\($0)'" }.joined(separator: ", ")
        case .notAWorksheet(let name): message = "sheet '\(name)' is not a worksheet (a chart or dialog sheet)"
        case .missingPart(let part): message = "damaged workbook: \(part) is missing"
        case .damagedPart(let part, let detail): message = "damaged workbook: \(part): \(detail)"
        case .invalidXML(let part, let line, let column, let detail):
            message = "\(part) line \(line), column \(column): \(detail)"
        }
        return "\(path): \(message)"
    }
}

/// An error thrown by the caller's `emit` closure, carried unchanged through the zip and XML layers.
struct XLSXCallerError: Error {
    let error: Error
}
