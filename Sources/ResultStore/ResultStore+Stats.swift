import Foundation

extension ResultStore {
    /// Totals by status and error code, the verified rate, and OCR time
    /// percentiles over the last hour and the last day (by finish time).
    public func stats(now: Date = Date()) throws -> ResultStats {
        let clock = now.timeIntervalSince1970
        let (done, failed, byCode, checked, verified) = try locked { database in
            let totals = try database.query(
                """
                SELECT coalesce(sum(status = 'done'), 0), coalesce(sum(status = 'failed'), 0),
                    count(verified), coalesce(sum(verified = 1), 0)
                FROM results
                """)[0].map { Int($0.integer ?? 0) }
            var byCode: [String: Int] = [:]
            for row in try database.query(
                """
                SELECT coalesce(error_code, 'unknown'), count(*) FROM results
                WHERE status = 'failed' GROUP BY 1
                """)
            {
                byCode[row[0].text ?? "unknown"] = Int(row[1].integer ?? 0)
            }
            return (totals[0], totals[1], byCode, totals[2], totals[3])
        }
        return ResultStats(
            done: done, failed: failed, failedByCode: byCode, checked: checked,
            verified: verified, lastHour: try window(3600, now: clock),
            lastDay: try window(86400, now: clock), deliveries: try deliveryCounts())
    }

    /// The window of `seconds` ending at `now`.
    private func window(_ seconds: Double, now: Double) throws -> ResultStats.Window {
        try locked { database in
            let since = SQLiteValue.real(now - seconds)
            let counts = try database.query(
                "SELECT count(*), count(ocr_ms) FROM results WHERE finished_at >= ?1", [since])
            let finished = Int(counts[0][0].integer ?? 0)
            let timed = Int(counts[0][1].integer ?? 0)
            let rank = try database.prepare(
                """
                SELECT ocr_ms FROM results WHERE finished_at >= ?1 AND ocr_ms IS NOT NULL
                ORDER BY ocr_ms LIMIT 1 OFFSET ?2
                """)
            func percentile(_ fraction: Double) throws -> Double? {
                guard timed > 0 else { return nil }
                let index = max(0, Int((fraction * Double(timed)).rounded(.up)) - 1)
                try rank.bind([since, .integer(Int64(index))])
                return try rank.next()?[0].real
            }
            return ResultStats.Window(
                seconds: seconds, finished: finished,
                medianOCRMilliseconds: try percentile(0.5),
                p95OCRMilliseconds: try percentile(0.95))
        }
    }
}
