/// A problem with an input file, always naming the file (and the line and column where known).
public struct InputError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let line: UInt64?
    public let column: String?
    public let message: String

    public init(file: String, line: UInt64? = nil, column: String? = nil, _ message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ": column \(column)" }
        return s + ": " + message
    }
}
