/// What `XLSXReader.streamCSV` wrote, and how its CSV lines map back to spreadsheet rows.
///
/// Line numbers: the header (the first row holding a value) is line 1; each later spreadsheet row
/// gets its own line, missing or empty rows between records are written as empty lines, and empty
/// rows after the last record are left out. So when the header is row 1 and no value holds a line
/// break, CSV line n is spreadsheet row n. Otherwise `sheetRow(forLine:)` gives the exact row.
public struct XLSXStreamStats: Sendable, Equatable {
    /// A point where the offset between CSV line and spreadsheet row changes.
    struct Mark: Sendable, Equatable {
        var line: Int
        var row: Int
    }

    /// The sheet streamed.
    public internal(set) var sheet: String
    /// Spreadsheet row of the header; 0 when the sheet holds no value (then nothing was written).
    public internal(set) var headerRow = 0
    /// Spreadsheet row of the last record.
    public internal(set) var lastRow = 0
    /// Fields per record: the header's width, up to its last non-empty cell. Shorter rows are
    /// padded to it; a row with values further right keeps them (see `widerRecords`).
    public internal(set) var columns = 0
    /// Records written, header included; empty lines not counted.
    public internal(set) var records = 0
    /// Records with more fields than the header.
    public internal(set) var widerRecords = 0
    /// Empty lines written for missing or empty spreadsheet rows between records.
    public internal(set) var blankLines = 0
    /// Physical lines written (a record spans more than one when a value holds a line break).
    public internal(set) var lines = 0
    /// CSV bytes written.
    public internal(set) var bytes = 0
    var marks: [Mark] = []

    init(sheet: String) { self.sheet = sheet }

    /// The spreadsheet row of the record that starts on CSV line `line` (1-based, header = 1), or
    /// nil past the end. For an empty line it gives the row that line stands for.
    public func sheetRow(forLine line: Int) -> Int? {
        guard line >= 1, line <= lines, !marks.isEmpty else { return nil }
        var low = 0
        var high = marks.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if marks[mid].line <= line { low = mid } else { high = mid - 1 }
        }
        return marks[low].row + (line - marks[low].line)
    }
}
