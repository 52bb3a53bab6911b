#if canImport(Glibc)
import Glibc
#endif
import CSQLite

/// A compiled statement: the only owner of a `sqlite3_stmt` handle, finalised
/// in `deinit`. Keeps its database open while it lives.
public final class SQLiteStatement {
    private let database: SQLiteDatabase
    private let handle: OpaquePointer
    private let sql: String

    init(database: SQLiteDatabase, handle: OpaquePointer, sql: String) {
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Resets the statement and binds `values` to its parameters `?1`, `?2`, …
    ///
    /// Text is copied by SQLite at once (`SQLITE_TRANSIENT`, through the shim).
    public func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let number): code = sqlite3_bind_int64(handle, index, number)
            case .real(let number): code = sqlite3_bind_double(handle, index, number)
            case .text(let text):
                code = text.withCString { pointer in
                    ocrspool_sqlite3_bind_text(handle, index, pointer, Int32(strlen(pointer)))
                }
            }
            guard code == SQLITE_OK else {
                throw database.error(code, "bind \(database.head(sql))")
            }
        }
    }

    /// Steps once: the next row, or nil when the statement is done.
    /// Wraps `sqlite3_step`.
    public func next() throws -> [SQLiteValue]? {
        let code = sqlite3_step(handle)
        if code == SQLITE_DONE { return nil }
        guard code == SQLITE_ROW else {
            let error = database.error(code, "step \(database.head(sql))")
            sqlite3_reset(handle)
            throw error
        }
        return (0..<sqlite3_column_count(handle)).map(column)
    }

    /// Runs the statement to its end, ignoring rows.
    public func run(_ values: [SQLiteValue] = []) throws {
        try bind(values)
        while try next() != nil {}
    }

    private func column(_ index: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
        case SQLITE_NULL: return .null
        default:
            guard let text = sqlite3_column_text(handle, index) else { return .null }
            return .text(String(cString: text))
        }
    }
}
