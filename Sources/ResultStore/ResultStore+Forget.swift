import Foundation
import SpoolKit

extension ResultStore {
    /// Notes that retention removed `result`'s file from the spool, so its record
    /// is the only copy left and may be forgotten once it is old enough.
    ///
    /// Only the revision that was pruned is marked: a job recorded again since
    /// (a retry) has a new row, unmarked, that still has its file.
    public func markPruned(_ result: JobResult, now: Date = Date()) throws {
        let revision = ResultStore.revision(of: result)
        try locked { database in
            try database.query(
                "UPDATE results SET pruned_at = ?3 WHERE id = ?1 AND revision = ?2",
                [.text(result.id), .text(revision), .real(now.timeIntervalSince1970)])
        }
    }

    /// Deletes up to `limit` records of jobs that finished before `cutoff`, were
    /// pruned from the spool, and owe no delivery; their deliveries go with them.
    ///
    /// A record whose job still has its result file must stay: the recorder would
    /// otherwise record the job again and run its hooks a second time. Hence the
    /// mark `markPruned` sets, rather than a look at the spool.
    ///
    /// - Returns: how many records were deleted.
    @discardableResult
    public func forgetRecords(finishedBefore cutoff: Date, limit: Int) throws -> Int {
        try locked { database in
            try database.query(
                """
                DELETE FROM results WHERE rowid IN (
                    SELECT r.rowid FROM results r
                    WHERE r.pruned_at IS NOT NULL AND r.finished_at < ?1 AND NOT EXISTS (
                        SELECT 1 FROM deliveries d
                        WHERE d.job_id = r.id AND d.state = 'pending')
                    ORDER BY r.finished_at LIMIT ?2)
                """, [.real(cutoff.timeIntervalSince1970), .integer(Int64(limit))])
            return database.changes
        }
    }
}
