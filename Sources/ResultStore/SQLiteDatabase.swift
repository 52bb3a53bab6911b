import CSQLite

/// One SQLite connection: the only owner of a `sqlite3` handle.
///
/// This type and `SQLiteStatement` are the only code that calls SQLite. They
/// are not thread-safe: `ResultStore` serialises every use behind a lock.
/// `SQLITE_BUSY` is waited out for `busyTimeout` seconds by SQLite itself, then
/// thrown; nothing else is retried (SQLite retries `EINTR` internally).
public final class SQLiteDatabase {
    /// The database file.
    public let path: String
    let handle: OpaquePointer

    /// Opens (and, unless `readOnly`, creates) the database at `path`.
    ///
    /// Wraps `sqlite3_open_v2` with `SQLITE_OPEN_NOMUTEX`: the caller serialises.
    /// - Parameter busyTimeout: seconds to wait for another connection's lock.
    public init(path: String, readOnly: Bool = false, busyTimeout: Double = 10) throws {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var pointer: OpaquePointer?
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) }
                ?? String(cString: sqlite3_errstr(code))
            if let pointer { sqlite3_close_v2(pointer) }
            throw SQLiteError(code: code, operation: "open", path: path, message: message)
        }
        handle = pointer
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, Int32(busyTimeout * 1000))
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no parameters; wraps `sqlite3_exec`.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? lastMessage
            throw SQLiteError(
                code: code, operation: "exec \(head(sql))", path: path, message: text)
        }
    }

    /// Compiles `sql`; wraps `sqlite3_prepare_v2`.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw error(code, "prepare \(head(sql))")
        }
        return SQLiteStatement(database: self, handle: statement, sql: sql)
    }

    /// Runs `sql` with `values` and returns every row.
    @discardableResult
    public func query(_ sql: String, _ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try prepare(sql)
        try statement.bind(values)
        var rows: [[SQLiteValue]] = []
        while let row = try statement.next() { rows.append(row) }
        return rows
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed when it returns,
    /// rolled back when it throws. Immediate, so two writers queue at the start
    /// instead of failing at their first write.
    public func transaction<Result>(_ body: () throws -> Result) throws -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last statement; wraps `sqlite3_changes`.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ code: Int32, _ operation: String) -> SQLiteError {
        SQLiteError(code: code, operation: operation, path: path, message: lastMessage)
    }

    /// The first words of a statement, for error messages.
    func head(_ sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(4)
        return words.joined(separator: " ")
    }
}
