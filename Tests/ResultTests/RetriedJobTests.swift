import Foundation
import ResultStore
import SpoolKit
import TestKit
import Testing

/// A failed job that is retried and finishes again is recorded again.
@Suite struct RetriedJobTests {
    @Test func aRetriedJobIsRecordedAgainAndItsHookRunsForTheNewResult() throws {
        let harness = try ResultDaemonHarness("result-retry")
        try harness.start(["--on-result", harness.recordingHook, "--rescan-interval", "1s"])
        let spool = harness.spool.spool
        let name = try spool.makeFinishedJob(failure: "timeout")
        #expect(try harness.waitSettled(count: 1, timeout: 20))

        #expect(try spool.retry(name), "retry refused")
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            Issue.record("cannot claim the retried job")
            return
        }
        let result = JobResult(
            id: name.string, status: .done, text: "7", digits: "7", numbers: ["7"],
            source: .cli, submittedAt: claim.meta.submittedAt, attempts: 2)
        try spool.finish(claim, result: result)

        let store = try harness.store()
        let replaced = waitUntil(timeout: 20) {
            (try? store.result(name.string))?.status == .done
                && (try? store.deliveries(of: name.string).map(\.state)) == [.delivered]
        }
        #expect(replaced, "the new result was not recorded and delivered")
        #expect(try store.count() == 1)
        let runs = harness.hookRuns().filter { $0.json == name.string }.count
        #expect(runs >= 2, "got \(runs) hook runs, want one per result")
    }
}
