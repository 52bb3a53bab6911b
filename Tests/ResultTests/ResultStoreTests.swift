import Foundation
import ResultStore
import SpoolKit
import TestKit
import Testing

/// The store's contract, in process: idempotent upserts, owed deliveries,
/// leases, settling for retention, statistics, readers beside a writer.
@Suite struct ResultStoreTests {
    let directory: TemporaryDirectory
    let store: ResultStore

    init() throws {
        directory = try TemporaryDirectory("result-store")
        store = try ResultStore(path: directory.file("results.sqlite"))
    }

    func entry(
        _ id: String = JobName.fresh().string, status: JobResult.Status = .done,
        finishedAt: Date = Date(), ocrMilliseconds: Double? = 10, expected: String? = nil,
        digits: String = "42", code: String? = nil
    ) throws -> ResultEntry {
        var result = JobResult(
            id: id, status: status, digits: digits, numbers: [digits], expected: expected,
            source: .http, submittedAt: finishedAt.addingTimeInterval(-1),
            finishedAt: finishedAt, attempts: 1,
            error: code.map { JobResult.Failure(code: $0, message: "test") })
        result.ocrMilliseconds = ocrMilliseconds
        // Through JSON and back, so dates carry the file's millisecond precision.
        let data = try SpoolJSON.encoder().encode(result)
        return try #require(ResultEntry(data: data))
    }

    @Test func recordingTheSameResultTwiceChangesNothing() throws {
        let first = try entry()
        let outcomes = try store.record([first, first], owing: [.hook])
        #expect(outcomes == [.inserted, .unchanged], "got \(outcomes)")
        let again = try store.record([first], owing: [.hook, .webhook])
        #expect(again == [.unchanged], "got \(again), want unchanged on a re-read")
        #expect(try store.count() == 1)
        #expect(try store.deliveries(of: first.result.id).map(\.target) == [.hook])
        #expect(try store.result(first.result.id) == first.result)
    }

    @Test func aRetriedJobReplacesItsRowAndOwesItsHooksAgain() throws {
        let failed = try entry(status: .failed, finishedAt: Date(timeIntervalSinceNow: -60),
                               code: "timeout")
        try store.record([failed], owing: [.hook])
        let lease = try store.leaseDue([.hook], limit: 10, owner: 1, lease: 60)
        try store.markDelivered(#require(lease.first))

        let done = try entry(failed.result.id, status: .done)
        #expect(try store.record([done], owing: [.hook]) == [.replaced])
        #expect(try store.count() == 1)
        #expect(try store.result(done.result.id)?.status == .done)
        let owed = try store.deliveries(of: done.result.id)
        #expect(owed.map(\.state) == [.pending], "got \(owed), want the hook owed again")

        // The old revision's late acknowledgement does not settle the new one.
        try store.markDelivered(#require(lease.first))
        #expect(try store.deliveries(of: done.result.id).map(\.state) == [.pending])
    }

    @Test func aLeasedDeliveryIsNotLeasedAgainUntilItsLeaseEnds() throws {
        try store.record([try entry()], owing: [.hook])
        let now = Date()
        let first = try store.leaseDue([.hook], limit: 5, owner: 11, lease: 30, now: now)
        let second = try store.leaseDue([.hook], limit: 5, owner: 12, lease: 30, now: now)
        #expect(first.count == 1 && second.isEmpty, "got \(first.count) and \(second.count)")
        let later = try store.leaseDue(
            [.hook], limit: 5, owner: 12, lease: 30, now: now.addingTimeInterval(31))
        #expect(later.map(\.attempt) == [2], "got \(later.map(\.attempt)), want attempt 2")
    }

    @Test func leasesOfDeadOwnersAndOfThisPIDAreReleasedAtStart() throws {
        try store.record([try entry(), try entry(), try entry()], owing: [.hook])
        _ = try store.leaseDue([.hook], limit: 1, owner: 100, lease: 600)
        _ = try store.leaseDue([.hook], limit: 1, owner: 200, lease: 600)
        _ = try store.leaseDue([.hook], limit: 1, owner: 300, lease: 600)
        let freed = try store.releaseStaleLeases(currentPID: 300) { $0 == 200 }
        #expect(freed == 2, "got \(freed), want the dead owner's and our former pid's")
        let due = try store.leaseDue([.hook], limit: 5, owner: 300, lease: 600)
        #expect(due.count == 2)
    }

    @Test func aJobIsSettledOnlyWhenRecordedAtItsRevisionWithNothingOwed() throws {
        let job = try entry()
        #expect(try !store.isSettled(job.result), "unrecorded job settled")
        try store.record([job], owing: [.hook, .webhook])
        #expect(try !store.isSettled(job.result), "settled with hooks owed")

        let leased = try store.leaseDue([.hook, .webhook], limit: 5, owner: 1, lease: 60)
        #expect(leased.count == 2)
        try store.markDelivered(leased[0])
        #expect(try !store.isSettled(job.result), "settled with one hook owed")
        try store.markFailed(leased[1], error: "exit status 1", retryAt: nil)
        #expect(try store.isSettled(job.result), "not settled once delivered and abandoned")

        let retried = try entry(job.result.id, status: .failed, code: "timeout")
        #expect(try !store.isSettled(retried.result), "a new revision settled unrecorded")
    }

    @Test func pendingDeliveriesToARemovedTargetAreSkipped() throws {
        let job = try entry()
        try store.record([job], owing: [.hook, .webhook])
        #expect(try store.skipUnconfigured([.hook]) == 1)
        let states = try store.deliveries(of: job.result.id).map(\.state)
        #expect(states == [.pending, .skipped], "got \(states)")
    }

    @Test func statsCountByCodeAndTakeNearestRankPercentilesPerWindow() throws {
        let now = Date()
        var entries: [ResultEntry] = []
        for milliseconds in 1...100 {
            entries.append(try entry(
                finishedAt: now.addingTimeInterval(-60), ocrMilliseconds: Double(milliseconds),
                expected: milliseconds <= 40 ? "42" : nil,
                digits: milliseconds <= 30 ? "42" : "7"))
        }
        entries.append(try entry(finishedAt: now.addingTimeInterval(-7200), ocrMilliseconds: 5000))
        entries.append(try entry(status: .failed, ocrMilliseconds: nil, code: "timeout"))
        entries.append(try entry(status: .failed, ocrMilliseconds: nil, code: "timeout"))
        entries.append(try entry(status: .failed, ocrMilliseconds: nil, code: "corrupt_image"))
        try store.record(entries, owing: [])

        let stats = try store.stats(now: now)
        let cases: [(String, Double?, Double?)] = [
            ("done", Double(stats.done), 101),
            ("failed", Double(stats.failed), 3),
            ("timeout", stats.failedByCode["timeout"].map(Double.init), 2),
            ("corrupt_image", stats.failedByCode["corrupt_image"].map(Double.init), 1),
            ("verified rate", stats.verifiedRate, 0.75),
            ("hour finished", Double(stats.lastHour.finished), 103),
            ("hour median", stats.lastHour.medianOCRMilliseconds, 50),
            ("hour p95", stats.lastHour.p95OCRMilliseconds, 95),
            ("day finished", Double(stats.lastDay.finished), 104),
            ("day median", stats.lastDay.medianOCRMilliseconds, 51),
            ("day p95", stats.lastDay.p95OCRMilliseconds, 96),
        ]
        for (name, got, want) in cases {
            #expect(got == want, "\(name): got \(String(describing: got)), want \(want!)")
        }
    }

    @Test func aReaderIsNotBlockedByAWriterInsideATransaction() throws {
        let job = try entry()
        try store.record([job], owing: [])
        let reader = try ResultStore(path: store.path, readOnly: true)

        let writer = try SQLiteDatabase(path: store.path, busyTimeout: 0)
        try writer.execute("BEGIN IMMEDIATE")
        try writer.execute("DELETE FROM results")
        let started = Date()
        let read = try reader.result(job.result.id)
        let waited = Date().timeIntervalSince(started)
        try writer.execute("ROLLBACK")
        #expect(read == job.result)
        #expect(waited < 2, "a reader waited \(waited)s for a writer")
    }

    @Test func aReadOnlyOpenOfAMissingDatabaseFails() {
        #expect(throws: SQLiteError.self) {
            try ResultStore(path: directory.file("absent.sqlite"), readOnly: true)
        }
    }

    @Test func onlyOldPrunedAndDeliveredRecordsAreForgotten() throws {
        let old = Date(timeIntervalSinceNow: -7200)
        let cases: [(name: String, entry: ResultEntry, pruned: Bool, delivered: Bool)] = [
            ("old, pruned, delivered", try entry(finishedAt: old), true, true),
            ("old, still in the spool", try entry(finishedAt: old), false, true),
            ("old, pruned, hook owed", try entry(finishedAt: old), true, false),
            ("recent, pruned, delivered", try entry(), true, true),
        ]
        try store.record(cases.map(\.entry), owing: [.hook])
        let delivered = Set(cases.filter(\.delivered).map(\.entry.result.id))
        for delivery in try store.leaseDue([.hook], limit: 10, owner: 1, lease: 60)
        where delivered.contains(delivery.jobID) {
            try store.markDelivered(delivery)
        }
        for item in cases where item.pruned { try store.markPruned(item.entry.result) }

        let forgotten = try store.forgetRecords(
            finishedBefore: Date(timeIntervalSinceNow: -3600), limit: 100)
        #expect(forgotten == 1, "got \(forgotten) forgotten, want 1")
        for (index, item) in cases.enumerated() {
            let kept = try store.result(item.entry.result.id) != nil
            #expect(kept == (index != 0), "\(item.name): got kept=\(kept)")
        }
        #expect(try store.deliveries(of: cases[0].entry.result.id).isEmpty,
                "a forgotten record's deliveries stayed")
    }

    @Test func aRetriedJobsNewRecordIsNotForgottenForItsOldPrune() throws {
        let old = Date(timeIntervalSinceNow: -7200)
        let failed = try entry(status: .failed, finishedAt: old, code: "timeout")
        try store.record([failed], owing: [])
        try store.markPruned(failed.result)
        let again = try entry(
            failed.result.id, status: .done, finishedAt: old.addingTimeInterval(1))
        #expect(try store.record([again], owing: []) == [.replaced])

        let forgotten = try store.forgetRecords(finishedBefore: Date(), limit: 100)
        #expect(forgotten == 0, "got \(forgotten) forgotten, want the new revision kept")
        #expect(try store.result(again.result.id)?.status == .done)
    }

    @Test func aDatabaseWithoutThePrunedColumnGainsIt() throws {
        let path = directory.file("before.sqlite")
        let earlier = try ResultStore(path: path)
        try earlier.record([try entry()], owing: [])
        try SQLiteDatabase(path: path).execute("ALTER TABLE results DROP COLUMN pruned_at")

        let reopened = try ResultStore(path: path)
        #expect(try reopened.count() == 1)
        let columns = try SQLiteDatabase(path: path)
            .query("PRAGMA table_info(results)").compactMap { $0[1].text }
        #expect(columns.contains("pruned_at"), "got columns \(columns)")
    }
}
