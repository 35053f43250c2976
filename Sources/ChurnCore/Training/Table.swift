/// A small table of text cells held in memory, as training and evaluation read it.
public struct Table: Sendable {
    public var name: String
    public var header: [String]
    public var rows: [[String]]
    /// The input line on which each row starts (the header is line 1).
    public var lines: [UInt64]
    /// Rows the reader could not use, with why.
    public var rejected: [RejectedRow]

    public init(name: String, header: [String], rows: [[String]], lines: [UInt64], rejected: [RejectedRow] = []) {
        self.name = name
        self.header = header
        self.rows = rows
        self.lines = lines
        self.rejected = rejected
    }

    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }
}
