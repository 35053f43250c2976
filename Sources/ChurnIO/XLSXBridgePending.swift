// TEMPORARY until the XLSX reader lands (lead's file, not the XLSX helper's).
enum XLSXBridge {
    static func stream(path: String, sheet: String?, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        throw InputError(file: path, "XLSX reading is not built yet")
    }
}
