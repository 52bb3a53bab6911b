import CSQLite

/// A failed SQLite call: its result code, the operation, the database path and
/// SQLite's own message.
///
/// Reads like `step INSERT INTO results… in /srv/spool/results.sqlite: database
/// is locked (sqlite 5)`.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CORRUPT`, …).
    public var code: Int32
    /// What was being done: `open`, `prepare`, `step`, `exec`, with the SQL's head.
    public var operation: String
    /// The database file.
    public var path: String
    /// `sqlite3_errmsg` at the time of the failure.
    public var message: String

    public init(code: Int32, operation: String, path: String, message: String) {
        self.code = code
        self.operation = operation
        self.path = path
        self.message = message
    }

    public var description: String {
        "\(operation) in \(path): \(message) (sqlite \(code))"
    }

    /// True when another connection held a lock past the busy timeout.
    public var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }
}
