import Foundation
import SpoolKit

/// The results database: every finished job of a spool, kept after the spool
/// prunes it, with the delivery state of its result hooks.
///
/// Contract:
/// - One row per job id in `results`, written by an idempotent upsert keyed by
///   the id and the result's *revision* (its status and finish time): recording
///   the same result again changes nothing; a job retried and finished again
///   replaces its row and owes its hooks again.
/// - A row and the `deliveries` it owes are committed in one transaction, so a
///   crash leaves a job either unrecorded (and recorded again from the spool) or
///   recorded with every hook still owed: nothing is missed, nothing is doubled.
/// - WAL journal with `synchronous=FULL`: readers never block the writer and a
///   commit survives a power cut, so retention may prune the spool's copy.
/// - Any number of processes may open it; writers queue on `BEGIN IMMEDIATE`.
///
/// Harmless errors: `SQLITE_BUSY` past the busy timeout (another writer held the
/// lock); the caller retries at its next pass.
///
/// - A row is deleted (`forgetRecords`) only after retention marked its job
///   pruned from the spool (`markPruned`), so a forgotten job is never recorded
///   and delivered again.
///
/// Known limits: the database must be on a local file system (WAL needs shared
/// memory); percentiles are nearest-rank over the rows of the window; a job
/// removed from the spool by hand, or pruned by a process that died before its
/// mark, is never marked, and its row stays until an operator deletes it.
public final class ResultStore: @unchecked Sendable {
    /// The database file.
    public let path: String
    let database: SQLiteDatabase
    private let lock = NSLock()

    /// `results.sqlite` in the spool's root: the default `--db`.
    public static func defaultPath(for spool: Spool) -> String { "\(spool.root)/results.sqlite" }

    /// Opens the database, creating it and its schema unless `readOnly`.
    ///
    /// - Throws: `SQLiteError`; read-only, `SQLITE_CANTOPEN` means no daemon has
    ///   recorded anything yet.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        database = try SQLiteDatabase(path: path, readOnly: readOnly)
        if readOnly { return }
        try database.execute("PRAGMA journal_mode=WAL")
        try database.execute("PRAGMA synchronous=FULL")
        try database.execute("PRAGMA foreign_keys=ON")
        try database.transaction {
            try database.execute(ResultStore.schema)
            try addPrunedColumnIfMissing()
        }
    }

    /// Databases made before `pruned_at` existed gain it, empty.
    private func addPrunedColumnIfMissing() throws {
        let columns = try database.query("PRAGMA table_info(results)").compactMap { $0[1].text }
        if !columns.contains("pruned_at") {
            try database.execute("ALTER TABLE results ADD COLUMN pruned_at REAL")
        }
    }

    /// Runs `body` with the connection, one caller at a time.
    @discardableResult
    func locked<Result>(_ body: (SQLiteDatabase) throws -> Result) throws -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(database)
    }

    /// How many jobs are recorded.
    public func count() throws -> Int {
        try locked { database in
            Int(try database.query("SELECT count(*) FROM results").first?[0].integer ?? 0)
        }
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS results (
            id TEXT PRIMARY KEY,
            revision TEXT NOT NULL,
            status TEXT NOT NULL,
            mode TEXT,
            text TEXT,
            digits TEXT,
            confidence REAL,
            expected TEXT,
            verified INTEGER,
            error_code TEXT,
            error_message TEXT,
            source TEXT,
            original_name TEXT,
            submitted_at REAL,
            started_at REAL,
            finished_at REAL NOT NULL,
            ocr_ms REAL,
            attempts INTEGER,
            recorded_at REAL NOT NULL,
            json TEXT NOT NULL,
            pruned_at REAL
        );
        CREATE INDEX IF NOT EXISTS results_finished_at ON results (finished_at);
        CREATE TABLE IF NOT EXISTS deliveries (
            job_id TEXT NOT NULL REFERENCES results (id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            revision TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at REAL NOT NULL,
            lease_owner INTEGER,
            lease_until REAL NOT NULL DEFAULT 0,
            last_error TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (job_id, target)
        );
        CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at);
        """
}
