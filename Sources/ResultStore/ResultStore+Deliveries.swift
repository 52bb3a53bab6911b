import Foundation

extension ResultStore {
    /// Leases up to `limit` deliveries that are due, for `targets`, to `owner`.
    ///
    /// A lease lasts `lease` seconds: if its owner dies, the delivery becomes due
    /// again when it expires (or at once, see `releaseLeases`). The attempt count
    /// is raised here, so an attempt that crashes its process still counts.
    public func leaseDue(
        _ targets: [DeliveryTarget], limit: Int, owner: Int32, lease: Double,
        now: Date = Date()
    ) throws -> [Delivery] {
        guard !targets.isEmpty, limit > 0 else { return [] }
        let clock = now.timeIntervalSince1970
        let wanted = targets.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try locked { database in
            try database.transaction {
                let rows = try database.query(
                    """
                    SELECT d.job_id, d.target, d.revision, d.attempts, r.json
                    FROM deliveries d JOIN results r ON r.id = d.job_id
                    WHERE d.state = 'pending' AND d.next_at <= ?1 AND d.lease_until <= ?1
                        AND d.target IN (\(wanted))
                    ORDER BY d.next_at LIMIT ?2
                    """, [.real(clock), .integer(Int64(limit))])
                let take = try database.prepare(
                    """
                    UPDATE deliveries SET attempts = attempts + 1, lease_owner = ?3,
                        lease_until = ?4, updated_at = ?5
                    WHERE job_id = ?1 AND target = ?2
                    """)
                return try rows.compactMap { row -> Delivery? in
                    guard let id = row[0].text, let name = row[1].text,
                        let target = DeliveryTarget(rawValue: name), let revision = row[2].text,
                        let attempts = row[3].integer, let json = row[4].text
                    else { return nil }
                    try take.run([.text(id), .text(name), .integer(Int64(owner)),
                                  .real(clock + lease), .real(clock)])
                    return Delivery(
                        jobID: id, target: target, revision: revision,
                        attempt: Int(attempts) + 1, json: json)
                }
            }
        }
    }

    /// Marks a leased delivery as done. A delivery whose job was recorded again
    /// meanwhile (a new revision) is left owed.
    public func markDelivered(_ delivery: Delivery, now: Date = Date()) throws {
        try settle(delivery, state: .delivered, error: nil, nextAt: 0, now: now)
    }

    /// Records a failed attempt: owed again at `retryAt`, or `abandoned` when nil.
    public func markFailed(
        _ delivery: Delivery, error: String, retryAt: Date?, now: Date = Date()
    ) throws {
        let state: DeliveryState = retryAt == nil ? .abandoned : .pending
        let next = retryAt?.timeIntervalSince1970 ?? 0
        try settle(delivery, state: state, error: error, nextAt: next, now: now)
    }

    private func settle(
        _ delivery: Delivery, state: DeliveryState, error: String?, nextAt: Double, now: Date
    ) throws {
        try locked { database in
            try database.query(
                """
                UPDATE deliveries SET state = ?4, last_error = ?5,
                    next_at = CASE WHEN ?4 = 'pending' THEN ?6 ELSE next_at END,
                    lease_owner = NULL, lease_until = 0, updated_at = ?7
                WHERE job_id = ?1 AND target = ?2 AND revision = ?3 AND state = 'pending'
                """,
                [.text(delivery.jobID), .text(delivery.target.rawValue),
                 .text(delivery.revision), .text(state.rawValue), .optional(error),
                 .real(nextAt), .real(now.timeIntervalSince1970)])
        }
    }

    /// Frees the leases of owners that are gone: `currentPID` (a process that had
    /// this pid before; call this before leasing anything) and every pid for which
    /// `isAlive` is false.
    ///
    /// - Returns: how many deliveries were freed.
    @discardableResult
    public func releaseStaleLeases(
        currentPID owner: Int32, isAlive: (Int32) -> Bool, now: Date = Date()
    ) throws -> Int {
        let clock = SQLiteValue.real(now.timeIntervalSince1970)
        return try locked { database in
            try database.transaction {
                let owners = try database.query(
                    """
                    SELECT DISTINCT lease_owner FROM deliveries
                    WHERE state = 'pending' AND lease_until > ?1 AND lease_owner IS NOT NULL
                    """, [clock]
                ).compactMap { $0[0].integer.map(Int32.init) }
                var freed = 0
                for pid in owners where pid == owner || !isAlive(pid) {
                    try database.query(
                        """
                        UPDATE deliveries SET lease_until = 0, lease_owner = NULL
                        WHERE state = 'pending' AND lease_owner = ?1
                        """, [.integer(Int64(pid))])
                    freed += database.changes
                }
                return freed
            }
        }
    }

    /// Marks as `skipped` every pending delivery to a target not in `configured`,
    /// so that retention is not held up by a hook that was removed.
    ///
    /// - Returns: how many were skipped.
    @discardableResult
    public func skipUnconfigured(
        _ configured: [DeliveryTarget], now: Date = Date()
    ) throws -> Int {
        let others = DeliveryTarget.allCases.filter { !configured.contains($0) }
        guard !others.isEmpty else { return 0 }
        let list = others.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try locked { database in
            try database.query(
                """
                UPDATE deliveries SET state = 'skipped', updated_at = ?1
                WHERE state = 'pending' AND target IN (\(list))
                """, [.real(now.timeIntervalSince1970)])
            return database.changes
        }
    }

    /// The deliveries of job `id`.
    public func deliveries(of id: String) throws -> [DeliveryStatus] {
        try locked { database in
            try database.query(
                """
                SELECT target, state, attempts, last_error FROM deliveries
                WHERE job_id = ?1 ORDER BY target
                """, [.text(id)]
            ).compactMap { row in
                guard let target = row[0].text.flatMap(DeliveryTarget.init(rawValue:)),
                    let state = row[1].text.flatMap(DeliveryState.init(rawValue:))
                else { return nil }
                return DeliveryStatus(
                    target: target, state: state, attempts: Int(row[2].integer ?? 0),
                    lastError: row[3].text)
            }
        }
    }

    /// How many deliveries are in each state.
    public func deliveryCounts() throws -> [DeliveryState: Int] {
        try locked { database in
            var counts: [DeliveryState: Int] = [:]
            let sql = "SELECT state, count(*) FROM deliveries GROUP BY state"
            for row in try database.query(sql) {
                if let state = row[0].text.flatMap(DeliveryState.init(rawValue:)) {
                    counts[state] = Int(row[1].integer ?? 0)
                }
            }
            return counts
        }
    }
}
