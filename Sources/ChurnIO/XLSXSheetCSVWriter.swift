import Foundation

/// Turns the XML events of a worksheet into CSV records, handed out in chunks of whole records.
///
/// A cell's column comes from its reference (`D7` is the fourth field), so missing cells become
/// empty fields. The first row holding a value is the header and sets the record width; shorter
/// rows are padded with empty fields. See `XLSXStreamStats` for how rows map to lines.
struct XLSXSheetCSVWriter: XLSXXMLHandler {
    /// Sheet limits of the format (Excel's too); they also bound the output of a hostile file.
    static let maxRows = 1_048_576
    static let maxColumns = 16_384
    /// The longest value kept for one cell (Excel allows 32,767 characters).
    static let maxCellBytes = 32 << 20
    /// The longest record written, as CSV: no CSV reader here accepts a longer one (`ChunkReader`'s
    /// limit), and it bounds the memory a row of cells repeating a long shared string can take.
    static let maxRecordBytes = 64 << 20

    private enum CellType {
        case number, shared, inline, formulaString, boolean, error, other
    }

    private let strings: XLSXSharedStrings
    private let chunkSize: Int
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    private(set) var stats: XLSXStreamStats
    private var out: [UInt8] = []

    private var inSheetData = false
    /// The current row, or the last one seen.
    private var rowNumber = 0
    private var inRow = false
    /// The current record, without its line end, and how many fields it holds.
    private var record: [UInt8] = []
    private var fields = 0
    private var recordQuoted = false
    private var lastRecordRow = 0
    private var nextLine = 1

    private var inCell = false
    /// Column (0-based) of the current cell, or of the last one in this row.
    private var column = -1
    private var type = CellType.number
    private var inInline = false
    private var phonetic = 0
    private var capturing = false
    private var value: [UInt8] = []

    init(
        sheet: String, strings: XLSXSharedStrings, chunkSize: Int,
        emit: @escaping (UnsafeRawBufferPointer) throws -> Void
    ) {
        self.strings = strings
        self.chunkSize = max(chunkSize, 1)
        self.emit = emit
        stats = XLSXStreamStats(sheet: sheet)
        out.reserveCapacity(min(self.chunkSize, 16 << 20) + 64 << 10)
    }

    mutating func startElement(_ name: XLSXXMLName, attributes: XLSXXMLAttributes) throws {
        if inCell {
            if name.is("v") {
                capturing = !inInline
            } else if name.is("is") {
                inInline = true
            } else if inInline {
                if name.is("t") {
                    capturing = phonetic == 0
                } else if name.is("rPh") {
                    phonetic += 1
                }
            }
        } else if inRow {
            if name.is("c") { try startCell(attributes) }
        } else if inSheetData {
            if name.is("row") { try startRow(attributes) }
        } else if name.is("sheetData") {
            inSheetData = true
        }
    }

    mutating func endElement(_ name: XLSXXMLName) throws {
        if inCell {
            if name.is("c") {
                try finishCell()
            } else if name.is("v") || name.is("t") {
                capturing = false
            } else if name.is("rPh") {
                phonetic -= 1
            } else if name.is("is") {
                inInline = false
            }
        } else if inRow {
            if name.is("row") { try finishRow() }
        } else if inSheetData && name.is("sheetData") {
            inSheetData = false
        }
    }

    mutating func text(_ bytes: UnsafeRawBufferPointer) throws {
        guard capturing else { return }
        guard value.count + bytes.count <= Self.maxCellBytes else {
            throw XLSXXMLProblem("cell \(reference) holds more than \(Self.maxCellBytes) bytes")
        }
        value.xlsxAppend(bytes)
    }

    /// Writes out what is left; call once the sheet's XML has ended.
    mutating func finish() throws {
        try flush()
        stats.lines = nextLine - 1
        stats.lastRow = lastRecordRow
    }

    private var reference: String {
        var letters: [Character] = []
        var c = column + 1
        while c > 0 {
            letters.append(Character(Unicode.Scalar(UInt8(65 + (c - 1) % 26))))
            c = (c - 1) / 26
        }
        return String(letters.reversed()) + String(rowNumber)
    }

    private mutating func startRow(_ attributes: XLSXXMLAttributes) throws {
        var number = rowNumber + 1
        if let raw = attributes.raw("r") {
            guard let parsed = Self.integer(raw), parsed >= 1 else {
                throw XLSXXMLProblem("invalid row number '\(String(decoding: raw, as: UTF8.self))'")
            }
            number = parsed
        }
        guard number > rowNumber else {
            throw XLSXXMLProblem("row \(number) comes after row \(rowNumber): rows out of order or repeated")
        }
        guard number <= Self.maxRows else {
            throw XLSXXMLProblem("row \(number) is past the last spreadsheet row (\(Self.maxRows))")
        }
        rowNumber = number
        inRow = true
        record.removeAll(keepingCapacity: true)
        fields = 0
        recordQuoted = false
        column = -1
    }

    private mutating func startCell(_ attributes: XLSXXMLAttributes) throws {
        var col = column + 1
        if let raw = attributes.raw("r") {
            guard let parsed = Self.column(raw) else {
                throw XLSXXMLProblem(
                    "invalid cell reference '\(String(decoding: raw, as: UTF8.self))' in row \(rowNumber)")
            }
            guard parsed > column else {
                throw XLSXXMLProblem(
                    "cell \(String(decoding: raw, as: UTF8.self)) is out of order or repeated in row \(rowNumber)")
            }
            col = parsed
        }
        guard col < Self.maxColumns else {
            throw XLSXXMLProblem("a cell of row \(rowNumber) is past the last spreadsheet column (\(Self.maxColumns))")
        }
        column = col
        type = Self.cellType(attributes.raw("t"))
        inCell = true
        inInline = false
        phonetic = 0
        capturing = false
        value.removeAll(keepingCapacity: true)
    }

    private mutating func finishCell() throws {
        inCell = false
        capturing = false
        guard !value.isEmpty else { return }
        let before = record.count
        let separators = fields == 0 ? column : column - fields + 1
        Self.appendRepeated(0x2C, separators, to: &record)
        let start = record.count
        var quoted = false
        switch type {
        case .shared:
            guard let index = value.withUnsafeBytes({ Self.integer($0) }), index < strings.count else {
                throw XLSXXMLProblem(
                    "cell \(reference): shared string index '\(String(decoding: value, as: UTF8.self))' "
                        + "is not in the table (\(strings.count) strings)")
            }
            guard record.count + strings.length(index) <= Self.maxRecordBytes else {
                throw XLSXXMLProblem("row \(rowNumber) is longer than \(Self.maxRecordBytes >> 20) MiB as CSV")
            }
            strings.append(index, to: &record)
            quoted = strings.isQuoted(index)
        case .boolean where value == [0x31]:
            record.append(contentsOf: "TRUE".utf8)
        case .boolean where value == [0x30]:
            record.append(contentsOf: "FALSE".utf8)
        case .inline, .formulaString:
            quoted = value.withUnsafeBytes { XLSXText.appendStringField($0, to: &record) }
        case .number, .boolean, .error, .other:
            quoted = value.withUnsafeBytes { XLSXText.appendCSVField($0, to: &record) }
        }
        if record.count == start {
            // An empty string: the field stays empty and must not widen the record.
            record.removeLast(record.count - before)
            return
        }
        guard record.count <= Self.maxRecordBytes else {
            throw XLSXXMLProblem("row \(rowNumber) is longer than \(Self.maxRecordBytes >> 20) MiB as CSV")
        }
        fields = column + 1
        recordQuoted = recordQuoted || quoted
    }

    private mutating func finishRow() throws {
        inRow = false
        guard fields > 0 else { return }
        if stats.headerRow == 0 {
            stats.headerRow = rowNumber
            stats.columns = fields
        } else {
            let gap = rowNumber - lastRecordRow - 1
            if gap > 0 {
                mark(row: lastRecordRow + 1)
                try writeBlankLines(gap)
            }
            if fields < stats.columns {
                Self.appendRepeated(0x2C, stats.columns - fields, to: &record)
            } else if fields > stats.columns {
                stats.widerRecords += 1
            }
        }
        mark(row: rowNumber)
        record.append(0x0A)
        out.xlsxAppend(record.withUnsafeBytes { $0 })
        nextLine += recordQuoted ? record.withUnsafeBufferPointer { xlsxCountNewlines($0.baseAddress!, $0.count) } : 1
        stats.records += 1
        lastRecordRow = rowNumber
        if out.count >= chunkSize { try flush() }
    }

    /// Notes that `nextLine` stands for spreadsheet row `row`, when the offset between the two changes.
    private mutating func mark(row: Int) {
        if let last = stats.marks.last, nextLine - last.line == row - last.row { return }
        stats.marks.append(.init(line: nextLine, row: row))
    }

    private mutating func writeBlankLines(_ count: Int) throws {
        var remaining = count
        while remaining > 0 {
            let k = min(remaining, max(1, chunkSize - out.count))
            Self.appendRepeated(0x0A, k, to: &out)
            remaining -= k
            if out.count >= chunkSize { try flush() }
        }
        nextLine += count
        stats.blankLines += count
    }

    private mutating func flush() throws {
        guard !out.isEmpty else { return }
        do {
            try out.withUnsafeBytes { try emit($0) }
        } catch {
            throw XLSXCallerError(error: error)
        }
        stats.bytes += out.count
        out.removeAll(keepingCapacity: true)
    }

    /// Appends `count` copies of `byte` with memset: padding runs to 16,383 bytes a row.
    private static func appendRepeated(_ byte: UInt8, _ count: Int, to out: inout [UInt8]) {
        guard count > 0 else { return }
        out += [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            memset(buffer.baseAddress!, Int32(byte), count)
            initialized = count
        }
    }

    private static func cellType(_ raw: UnsafeRawBufferPointer?) -> CellType {
        guard let raw, raw.count > 0 else { return .number }
        switch raw.count {
        case 1:
            switch raw[0] {
            case 0x73: return .shared  // s
            case 0x6E: return .number  // n
            case 0x62: return .boolean  // b
            case 0x65: return .error  // e
            default: return .other  // d (ISO 8601 date text) and unknown types: as stored
            }
        case 3 where memcmp(raw.baseAddress!, "str", 3) == 0: return .formulaString
        case 9 where memcmp(raw.baseAddress!, "inlineStr", 9) == 0: return .inline
        default: return .other
        }
    }

    /// A decimal integer, surrounding whitespace allowed; nil if malformed or too long.
    private static func integer(_ raw: UnsafeRawBufferPointer) -> Int? {
        var value = 0
        var digits = 0
        var i = 0
        let n = raw.count
        while i < n && (raw[i] == 0x20 || raw[i] == 0x09 || raw[i] == 0x0A) { i += 1 }
        while i < n, raw[i] >= 0x30 && raw[i] <= 0x39 {
            value = value * 10 + Int(raw[i] - 0x30)
            digits += 1
            guard digits <= 12 else { return nil }
            i += 1
        }
        while i < n && (raw[i] == 0x20 || raw[i] == 0x09 || raw[i] == 0x0A) { i += 1 }
        return digits > 0 && i == n ? value : nil
    }

    /// The 0-based column of a cell reference such as `D7` (`$D$7` allowed); nil if malformed.
    private static func column(_ raw: UnsafeRawBufferPointer) -> Int? {
        var col = 0
        var letters = 0
        var i = 0
        let n = raw.count
        if i < n && raw[i] == 0x24 { i += 1 }
        while i < n {
            var b = raw[i]
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            guard b >= 0x41 && b <= 0x5A else { break }
            col = col * 26 + Int(b - 0x40)
            letters += 1
            guard letters <= 3 else { return nil }
            i += 1
        }
        if i < n && raw[i] == 0x24 { i += 1 }
        let digitsStart = i
        while i < n && raw[i] >= 0x30 && raw[i] <= 0x39 { i += 1 }
        guard letters > 0, i > digitsStart, i == n else { return nil }
        return col - 1
    }
}
