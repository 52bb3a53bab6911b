import Foundation
import SpoolKit

/// A finished job as read from the spool: the decoded result and its JSON text.
public struct ResultEntry: Sendable {
    public var result: JobResult
    /// The result file's text, stored and delivered as it is.
    public var json: String

    public init(result: JobResult, json: String) {
        self.result = result
        self.json = json
    }

    /// Decodes a result file's bytes; nil when they are not a result.
    public init?(data: Data) {
        guard let result = try? SpoolJSON.decoder().decode(JobResult.self, from: data),
            let json = String(data: data, encoding: .utf8)
        else { return nil }
        self.init(result: result, json: json)
    }
}

/// What recording one result did.
public enum RecordOutcome: Sendable, Equatable {
    /// A new job: its row and its deliveries were written.
    case inserted
    /// The job finished again (a retry): its row was replaced, its hooks owed again.
    case replaced
    /// This very result was recorded before: nothing changed.
    case unchanged
}

extension ResultStore {
    /// The revision of a result: its status and finish time, which a retried
    /// job changes and a re-read of the same file does not.
    public static func revision(of result: JobResult) -> String {
        "\(result.status.rawValue)@\(SpoolJSON.format(result.finishedAt))"
    }

    /// Records `entries` in one transaction, each owing a delivery to `targets`.
    ///
    /// Idempotent: an entry whose revision is already recorded is `unchanged`.
    @discardableResult
    public func record(
        _ entries: [ResultEntry], owing targets: [DeliveryTarget], now: Date = Date()
    ) throws -> [RecordOutcome] {
        try locked { database in
            try database.transaction {
                let find = try database.prepare("SELECT revision FROM results WHERE id = ?1")
                let upsert = try database.prepare(ResultStore.upsertSQL)
                let forget = try database.prepare("DELETE FROM deliveries WHERE job_id = ?1")
                let owe = try database.prepare(ResultStore.oweSQL)
                var outcomes: [RecordOutcome] = []
                for entry in entries {
                    let revision = ResultStore.revision(of: entry.result)
                    try find.bind([.text(entry.result.id)])
                    let known = try find.next()?[0].text
                    if known == revision {
                        outcomes.append(.unchanged)
                        continue
                    }
                    try upsert.run(ResultStore.row(entry, revision: revision, now: now))
                    try forget.run([.text(entry.result.id)])
                    for target in targets {
                        let stamp = SQLiteValue.real(now.timeIntervalSince1970)
                        try owe.run([.text(entry.result.id), .text(target.rawValue),
                                     .text(revision), stamp])
                    }
                    outcomes.append(known == nil ? .inserted : .replaced)
                }
                return outcomes
            }
        }
    }

    /// The recorded result of job `id`, as its result file said.
    public func result(_ id: String) throws -> JobResult? {
        let json = try locked { database in
            try database.query("SELECT json FROM results WHERE id = ?1", [.text(id)])
                .first?[0].text
        }
        guard let json else { return nil }
        return try SpoolJSON.decoder().decode(JobResult.self, from: Data(json.utf8))
    }

    /// The recorded revision of job `id`, or nil when it is not recorded.
    public func revision(of id: String) throws -> String? {
        try locked { database in
            try database.query("SELECT revision FROM results WHERE id = ?1", [.text(id)])
                .first?[0].text
        }
    }

    /// True when `result` is recorded at its revision and no delivery of it is
    /// still pending: the spool's copy may go.
    public func isSettled(_ result: JobResult) throws -> Bool {
        let revision = ResultStore.revision(of: result)
        return try locked { database in
            let rows = try database.query(
                """
                SELECT (SELECT count(*) FROM deliveries d
                        WHERE d.job_id = r.id AND d.state = 'pending')
                FROM results r WHERE r.id = ?1 AND r.revision = ?2
                """, [.text(result.id), .text(revision)])
            guard let pending = rows.first?[0].integer else { return false }
            return pending == 0
        }
    }

    static let upsertSQL = """
        INSERT OR REPLACE INTO results (id, revision, status, mode, text, digits,
            confidence, expected, verified, error_code, error_message, source,
            original_name, submitted_at, started_at, finished_at, ocr_ms, attempts,
            recorded_at, json)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
            ?17, ?18, ?19, ?20)
        """

    static let oweSQL = """
        INSERT INTO deliveries (job_id, target, revision, state, next_at, updated_at)
        VALUES (?1, ?2, ?3, 'pending', ?4, ?4)
        """

    /// The column values of `entry`, in `upsertSQL`'s order.
    static func row(_ entry: ResultEntry, revision: String, now: Date) -> [SQLiteValue] {
        let result = entry.result
        return [
            .text(result.id), .text(revision), .text(result.status.rawValue),
            .text(result.mode), .text(result.text), .text(result.digits),
            .real(result.confidence), .optional(result.expected), .optional(result.verified),
            .optional(result.error?.code), .optional(result.error?.message),
            .text(result.source.rawValue), .optional(result.originalName),
            .real(result.submittedAt.timeIntervalSince1970),
            .optional(result.startedAt?.timeIntervalSince1970),
            .real(result.finishedAt.timeIntervalSince1970), .optional(result.ocrMilliseconds),
            .integer(Int64(result.attempts)), .real(now.timeIntervalSince1970),
            .text(entry.json),
        ]
    }
}
