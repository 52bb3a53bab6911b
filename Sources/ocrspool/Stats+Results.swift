import Foundation
import ResultStore
import SpoolKit

// The results database's part of `ocrspool stats` and `ocrspool status ID`,
// read-only: a reader never blocks the result daemon (WAL).

/// The lines `ocrspool stats` prints after the queue depths: totals by status
/// and error code, the verified rate, OCR time percentiles over the last hour
/// and day, and delivery states. Nil when no database exists yet.
///
/// - Parameter database: the `--db` path; default `SPOOL/results.sqlite`.
func resultStatsLines(spool: Spool, database: String? = nil) throws -> [String]? {
    guard let store = openResults(spool: spool, database: database) else { return nil }
    let stats = try store.stats()
    var lines = ["recorded   \(stats.done + stats.failed) (done \(stats.done),"
        + " failed \(stats.failed))"]
    if !stats.failedByCode.isEmpty {
        let codes = stats.failedByCode.sorted { $0.value > $1.value || ($0.value == $1.value
            && $0.key < $1.key) }
        lines.append("failed by  " + codes.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    }
    if let rate = stats.verifiedRate {
        lines.append(String(format: "verified   %.1f%% of %d checked", rate * 100, stats.checked))
    }
    lines.append("last hour  " + describe(stats.lastHour))
    lines.append("last day   " + describe(stats.lastDay))
    let deliveries = stats.deliveries
    if !deliveries.isEmpty {
        lines.append(
            "hooks      pending \(deliveries[.pending] ?? 0), delivered"
                + " \(deliveries[.delivered] ?? 0), abandoned \(deliveries[.abandoned] ?? 0)")
    }
    return lines
}

/// A job's result from the results database, for a job no longer in the spool
/// (pruned by retention). Nil when there is no database or no such job.
func recordedResult(_ name: JobName, spool: Spool, database: String? = nil) -> JobResult? {
    guard let store = openResults(spool: spool, database: database) else { return nil }
    return try? store.result(name.string)
}

private func openResults(spool: Spool, database: String?) -> ResultStore? {
    let path = database ?? ResultStore.defaultPath(for: spool)
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return try? ResultStore(path: path, readOnly: true)
}

private func describe(_ window: ResultStats.Window) -> String {
    var text = "\(window.finished) finished"
    if let median = window.medianOCRMilliseconds, let p95 = window.p95OCRMilliseconds {
        text += String(format: ", ocr median %.0f ms, p95 %.0f ms", median, p95)
    }
    return text
}
