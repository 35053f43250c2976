/// What a training column holds, inferred from its content.
public enum ColumnRole: Equatable, Sendable {
    case numeric
    case categorical(values: [String])
    case ignored(reason: String)
}

/// Infers the role of a column from its cells.
public enum ColumnProfiler {
    /// At most this many distinct values make a column categorical.
    public static let maxCategories = 50
    /// Share of non-blank cells that must parse as numbers for a column to be numeric.
    public static let numericShare = 0.9

    public static func role(of cells: [String]) -> ColumnRole {
        var nonBlank = 0, numeric = 0, integers = 0
        var distinct: [String: Int] = [:]
        var numbers: [Double] = []
        for raw in cells {
            let cell = raw.trimmingSpaces
            if cell.isEmpty { continue }
            nonBlank += 1
            if let v = NumberParser.parse(cell) {
                numeric += 1
                numbers.append(v)
                if v == v.rounded() && !cell.contains(".") && !cell.contains("e") && !cell.contains("E") { integers += 1 }
            }
            if distinct.count <= max(maxCategories, cells.count) { distinct[cell, default: 0] += 1 }
        }
        if nonBlank == 0 { return .ignored(reason: "empty") }
        if Double(numeric) >= numericShare * Double(nonBlank) {
            if distinct.count <= 1 { return .ignored(reason: "constant") }
            // A whole number unique on every row identifies the row (a customer number, a row
            // counter); as a feature it would only leak the order the rows were collected in.
            if integers == cells.count && distinct.count == cells.count && cells.count > 20 {
                return .ignored(reason: isCounter(numbers) ? "identifier-like: row counter" : "identifier-like: unique integer per row")
            }
            return .numeric
        }
        if distinct.count == nonBlank && nonBlank > 20 { return .ignored(reason: "identifier-like: unique text per row") }
        if distinct.count > maxCategories { return .ignored(reason: "too many distinct values (\(distinct.count)) for a category") }
        if distinct.count <= 1 { return .ignored(reason: "constant") }
        return .categorical(values: distinct.keys.sorted())
    }
}

/// Whether the numbers, sorted, step by exactly 1 (1, 2, 3, …).
private func isCounter(_ numbers: [Double]) -> Bool {
    let sorted = numbers.sorted()
    return zip(sorted, sorted.dropFirst()).allSatisfy { $1 - $0 == 1 }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    public var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s.count == count ? self : String(s)
    }
}
