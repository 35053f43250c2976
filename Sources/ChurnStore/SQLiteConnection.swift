import CSQLite

/// `SQLITE_TRANSIENT`: SQLite copies the bound bytes before the bind call returns. The macro is not
/// imported into Swift.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One open SQLite connection. Not thread-safe by itself: `RunStore` serialises every use.
final class SQLiteConnection {
    let handle: OpaquePointer
    let path: String

    init(path: String) throws {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot allocate a connection"
            if let db { sqlite3_close_v2(db) }
            throw StoreError(operation: "open", message: message, code: rc, path: path)
        }
        sqlite3_extended_result_codes(db, 1)
        handle = db
        self.path = path
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// The error SQLite reports for the last call on this connection.
    func error(_ operation: String, _ rc: Int32) -> StoreError {
        StoreError(operation: operation, message: String(cString: sqlite3_errmsg(handle)),
                   code: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : rc, path: path)
    }

    /// Runs one or more statements that return no rows of interest.
    func execute(_ sql: String, _ operation: String? = nil) throws {
        var errorText: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorText)
        guard rc == SQLITE_OK else {
            let message = errorText.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorText)
            throw StoreError(operation: operation ?? sql, message: message, code: rc, path: path)
        }
    }

    func prepare(_ sql: String, _ operation: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error("\(operation) (prepare)", rc) }
        return SQLiteStatement(stmt, connection: self, operation: operation)
    }

    /// Whether a transaction is open on this connection.
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// A single-value PRAGMA or query as text.
    func scalarText(_ sql: String) throws -> String? {
        let s = try prepare(sql, sql)
        return try s.step() ? s.text(0) : nil
    }

    func scalarInt(_ sql: String) throws -> Int64 {
        let s = try prepare(sql, sql)
        return try s.step() ? s.int64(0) : 0
    }
}

/// A prepared statement. Parameters are numbered from 1, columns from 0, as in SQLite.
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let connection: SQLiteConnection
    let operation: String

    init(_ handle: OpaquePointer, connection: SQLiteConnection, operation: String) {
        self.handle = handle
        self.connection = connection
        self.operation = operation
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Steps once: true when a row is available, false when done.
    @inline(__always)
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let e = connection.error(operation, rc)
        sqlite3_reset(handle)
        throw e
    }

    /// Steps to completion, for statements that return no rows.
    @inline(__always)
    func run() throws {
        while try step() {}
    }

    @inline(__always) func reset() {
        sqlite3_reset(handle)
    }

    func clearAndReset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    @inline(__always) func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }
    @inline(__always) func bind(_ i: Int32, _ v: Int) { sqlite3_bind_int64(handle, i, Int64(v)) }
    @inline(__always) func bind(_ i: Int32, _ v: Double) { sqlite3_bind_double(handle, i, v) }
    @inline(__always) func bindNull(_ i: Int32) { sqlite3_bind_null(handle, i) }

    func bind(_ i: Int32, _ v: String) {
        sqlite3_bind_text(handle, i, v, -1, sqliteTransient)
    }

    func bind(_ i: Int32, _ v: String?) {
        if let v { bind(i, v) } else { bindNull(i) }
    }

    func bind(_ i: Int32, _ v: Double?) {
        if let v { bind(i, v) } else { bindNull(i) }
    }

    func bind(_ i: Int32, _ v: Int64?) {
        if let v { bind(i, v) } else { bindNull(i) }
    }

    /// Binds bytes that stay valid and unchanged until the statement is reset (SQLITE_STATIC).
    @inline(__always) func bindStatic(_ i: Int32, _ v: UnsafeRawBufferPointer) {
        sqlite3_bind_blob(handle, i, v.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, Int32(v.count), nil)
    }

    /// A BLOB column's bytes, valid until the next step, reset or finalize.
    func blob(_ c: Int32) -> UnsafeRawBufferPointer {
        let p = sqlite3_column_blob(handle, c)
        let n = Int(sqlite3_column_bytes(handle, c))
        return UnsafeRawBufferPointer(start: n > 0 ? p : nil, count: n)
    }

    func isNull(_ c: Int32) -> Bool { sqlite3_column_type(handle, c) == SQLITE_NULL }
    func int64(_ c: Int32) -> Int64 { sqlite3_column_int64(handle, c) }
    func double(_ c: Int32) -> Double { sqlite3_column_double(handle, c) }

    func text(_ c: Int32) -> String {
        guard let p = sqlite3_column_text(handle, c) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, c))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func optionalText(_ c: Int32) -> String? { isNull(c) ? nil : text(c) }
    func optionalDouble(_ c: Int32) -> Double? { isNull(c) ? nil : double(c) }
    func optionalInt64(_ c: Int32) -> Int64? { isNull(c) ? nil : int64(c) }
}
