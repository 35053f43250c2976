import ChurnCore
import Foundation

/// Reads a whole CSV file into a `Table` (for training and evaluation, where data fits in memory).
/// Rows with the wrong number of fields are rejected with their line and kept out of the table.
public enum CSVTableReader {
    public static func read(path: String) throws -> (table: Table, fingerprint: DataFingerprint) {
        let name = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file")
        }
        var hash = FNV1a64()
        data.withUnsafeBytes { hash.update($0) }
        let fingerprint = DataFingerprint(file: name, bytes: data.count, fnv1a64: hash.hex)
        return (try parse(data: data, name: path), fingerprint)
    }

    /// Parses CSV bytes; `name` is used in errors.
    public static func parse(data: Data, name: String) throws -> Table {
        try data.withUnsafeBytes { raw -> Table in
            var start = 0
            if raw.count >= 3 && raw[0] == 0xEF && raw[1] == 0xBB && raw[2] == 0xBF { start = 3 }
            var scanner = CSVRecordScanner(UnsafeRawBufferPointer(rebasing: raw[start...]), firstLine: 1)
            defer { scanner.deallocate() }
            var header: [String] = []
            while header.isEmpty && !scanner.atEnd {
                let r = scanner.nextRecord()
                if r.error != nil { throw InputError(file: name, line: r.line, "cannot read the header line") }
                header = (0..<scanner.fieldCount).map { scanner.string($0).trimmingCharacters(in: .whitespaces) }
            }
            guard !header.isEmpty else { throw InputError(file: name, "is empty: no header line") }
            var rows: [[String]] = []
            var lines: [UInt64] = []
            var rejected: [RejectedRow] = []
            while !scanner.atEnd {
                let r = scanner.nextRecord()
                if let error = r.error {
                    rejected.append(RejectedRow(line: r.line, reason: RowRejection.describe(error)))
                    continue
                }
                if scanner.fieldCount == 0 { continue }
                guard scanner.fieldCount == header.count else {
                    rejected.append(RejectedRow(line: r.line, reason: RowRejection.fieldCount(expected: header.count, found: scanner.fieldCount)))
                    continue
                }
                rows.append((0..<scanner.fieldCount).map { scanner.string($0) })
                lines.append(r.line)
            }
            return Table(name: name, header: header, rows: rows, lines: lines, rejected: rejected)
        }
    }
}

/// The wording of row rejections, shared by every reader so reports read the same.
public enum RowRejection {
    public static func describe(_ error: CSVRecordScanner.RecordError) -> String {
        switch error {
        case .unterminatedQuote: return "unterminated quoted field"
        case .textAfterClosingQuote(let column): return "column \(column): text after a closing quote"
        }
    }

    public static func fieldCount(expected: Int, found: Int) -> String {
        "expected \(expected) fields, found \(found)"
    }

    public static func idTooLong(column: Int, name: String, length: Int, limit: Int) -> String {
        "column \(column) '\(name)': the id is \(length) bytes long; ids may be at most \(limit)"
    }

    public static func notANumber(column: Int, name: String, text: String) -> String {
        "column \(column) '\(name)': '\(shown(text))' is not a number"
    }

    public static func outOfRange(column: Int, name: String, text: String) -> String {
        "column \(column) '\(name)': " + NumericRange.refusal(shown(text))
    }

    private static func shown(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "…" : text }
}

extension CSVTableReader {
    /// Fingerprint of any file (name, size, FNV-1a of the bytes), read in blocks.
    public static func fingerprint(path: String) throws -> DataFingerprint {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw InputError(file: path, "cannot be read") }
        defer { try? handle.close() }
        var hash = FNV1a64()
        var bytes = 0
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            block.withUnsafeBytes { hash.update($0) }
            bytes += block.count
        }
        return DataFingerprint(file: (path as NSString).lastPathComponent, bytes: bytes, fnv1a64: hash.hex)
    }
}
