import Foundation

/// Opening scoring inputs of either kind: CSV directly, XLSX through a CSV conversion.
public enum InputFiles {
    public static func isXLSX(_ path: String) -> Bool {
        path.lowercased().hasSuffix(".xlsx")
    }

    /// The disk a worksheet's temporary CSV may take: 64 MiB, or 64 times the size of the .xlsx file
    /// when that is more. Real sheets come out at a few times the size of their file; a sheet of
    /// sparse cells far to the right (or of cells repeating one long shared string) would otherwise
    /// turn a few kilobytes into gigabytes.
    public static func csvBudget(xlsxBytes: Int) -> Int {
        max(64 << 20, 64 * xlsxBytes)
    }

    /// A fresh name for a temporary CSV in `$TMPDIR`; register it for clean-up before converting.
    public static func temporaryCSVPath() -> String {
        NSTemporaryDirectory() + "churn-xlsx-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).csv"
    }

    /// Converts a worksheet of an XLSX file to a temporary CSV file (owner-only, mode 0600) and
    /// returns its path; the caller deletes it. Spreadsheet row numbers stay the CSV's line numbers.
    /// - Parameter temporary: where to write (default: a fresh `temporaryCSVPath()`).
    /// - Throws: `XLSXError`, or `InputError` when the CSV would exceed `csvBudget`.
    public static func convertXLSX(path: String, sheet: String?, to temporary: String? = nil) throws -> String {
        let temporary = temporary ?? temporaryCSVPath()
        var st = stat()
        let xlsxBytes = stat(path, &st) == 0 ? Int(st.st_size) : 0
        let budget = csvBudget(xlsxBytes: xlsxBytes)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw InputError(file: temporary, "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var written = 0
        do {
            try XLSXReader(path: path).streamCSV(sheet: sheet) { chunk in
                guard written + chunk.count <= budget else {
                    throw InputError(file: path, "the worksheet expands to more than \(budget >> 20) MiB of CSV "
                        + "(the limit for a \(xlsxBytes)-byte file: 64 MiB or 64 times the file's size); "
                        + "are there stray cells far to the right or below the data?")
                }
                var done = 0
                while done < chunk.count {
                    let n = write(fd, chunk.baseAddress! + done, chunk.count - done)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw InputError(file: temporary, "cannot write the temporary CSV: \(String(cString: strerror(errno)))")
                    }
                    done += n
                }
                written += chunk.count
            }
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// A chunk reader over a CSV or XLSX input; `cleanup` removes any temporary file.
    /// - Parameter temporaryCSV: where an XLSX input's CSV goes (default: a fresh temporary name).
    public static func openChunks(path: String, sheet: String?, chunkSize: Int,
                                  temporaryCSV: String? = nil) throws -> (reader: ChunkReader, cleanup: () -> Void) {
        if isXLSX(path) {
            let csv = try convertXLSX(path: path, sheet: sheet, to: temporaryCSV)
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
