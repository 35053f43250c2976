/// Splits a labelled table into a training part and a held-out part, stratified by label and seeded.
///
/// Rows are grouped by label value; each group is shuffled with a SplitMix64 generator seeded with
/// `seed` and `round(holdout × size)` of its rows are held out (at least one when the group has two
/// or more rows, never all of them). Both parts keep the input's row order. Rows with a blank label
/// stay in the training part (training skips them). The same table, fraction and seed always give
/// the same split, on any machine.
public enum HoldoutSplit {
    /// The fraction is outside (0, 1) or the label column is missing.
    public struct SplitError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func split(_ table: Table, labelColumn: String, holdout: Double, seed: UInt64) throws -> (train: Table, holdout: Table) {
        guard holdout > 0, holdout < 1 else { throw SplitError(description: "--holdout must be between 0 and 1 (exclusive), got \(holdout)") }
        guard let labelIndex = table.columnIndex(labelColumn) else {
            throw SplitError(description: "\(table.name): no label column '\(labelColumn)'")
        }
        var groups: [String: [Int]] = [:]
        for (r, row) in table.rows.enumerated() {
            let label = row[labelIndex].trimmingSpaces
            if !label.isEmpty { groups[label, default: []].append(r) }
        }
        var held = [Bool](repeating: false, count: table.rows.count)
        var rng = SplitMix64(seed: seed)
        for label in groups.keys.sorted() {
            var rows = groups[label]!
            // Fisher–Yates with the seeded generator.
            for i in stride(from: rows.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                rows.swapAt(i, j)
            }
            var take = Int((holdout * Double(rows.count)).rounded())
            if rows.count >= 2 { take = min(max(take, 1), rows.count - 1) } else { take = 0 }
            for r in rows.prefix(take) { held[r] = true }
        }
        func part(_ keep: Bool) -> Table {
            let indices = table.rows.indices.filter { held[$0] == keep }
            return Table(name: table.name, header: table.header, rows: indices.map { table.rows[$0] },
                         lines: indices.map { table.lines[$0] }, rejected: keep ? [] : table.rejected)
        }
        return (part(false), part(true))
    }
}

/// SplitMix64: a small, fast, seedable generator whose output is the same everywhere.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
