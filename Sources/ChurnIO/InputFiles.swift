import Foundation

/// Opening scoring inputs of either kind: CSV directly, XLSX through a CSV conversion.
public enum InputFiles {
    public static func isXLSX(_ path: String) -> Bool {
        path.lowercased().hasSuffix(".xlsx")
    }

    /// Converts a worksheet of an XLSX file to a temporary CSV file and returns its path; the
    /// caller deletes it. Spreadsheet row numbers stay the CSV's line numbers.
    public static func convertXLSX(path: String, sheet: String?) throws -> String {
        let temporary = NSTemporaryDirectory() + "churn-xlsx-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).csv"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw InputError(file: temporary, "cannot create a temporary file")
        }
        defer { try? handle.close() }
        do {
            try XLSXReader(path: path).streamCSV(sheet: sheet) { chunk in handle.write(Data(chunk)) }
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// A chunk reader over a CSV or XLSX input; `cleanup` removes any temporary file.
    public static func openChunks(path: String, sheet: String?, chunkSize: Int) throws -> (reader: ChunkReader, cleanup: () -> Void) {
        if isXLSX(path) {
            let csv = try convertXLSX(path: path, sheet: sheet)
            do {
                return (try ChunkReader(path: csv, displayName: path, chunkSize: chunkSize), { unlink(csv) })
            } catch {
                unlink(csv)
                throw error
            }
        }
        return (try ChunkReader(path: path, chunkSize: chunkSize), {})
    }
}
