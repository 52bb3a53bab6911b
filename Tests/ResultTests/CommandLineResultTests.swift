import Foundation
import SpoolKit
import TestKit
import Testing

/// `ocrspool status ID` and `ocrspool stats` answer from the results database,
/// so a job pruned from the spool stays reachable and totals outlive the spool.
@Suite struct CommandLineResultTests {
    @Test func statusAndStatsAnswerFromTheDatabaseOncePruned() throws {
        let harness = try ResultDaemonHarness("result-cli")
        try harness.start(["--keep-done", "0s", "--prune-interval", "50ms"])
        let spool = harness.spool.spool
        let done = try spool.makeFinishedJob(digits: "58213", expected: "58213")
        try spool.makeFinishedJob(digits: "7")
        try spool.makeFinishedJob(failure: "corrupt_image")
        #expect(waitUntil(timeout: 20) { spool.result(of: done) == nil },
                "never pruned\n\(harness.logs.suffix(2000))")
        #expect(try harness.waitSettled(count: 3, timeout: 20))

        let status = try ocrspool(["status", done.string], harness)
        #expect(status.exit == 0, "status of a pruned job: got \(status.exit) \(status.output)")
        #expect(status.output.contains("\"digits\" : \"58213\""), "got \(status.output)")

        let missing = try ocrspool(["status", "20261203T000000-aaaaaaaa.png"], harness)
        #expect(missing.exit == 1, "got \(missing.exit) \(missing.output), want 1")
        #expect(missing.output.contains("no job"), "got \(missing.output)")

        let stats = try ocrspool(["stats"], harness)
        #expect(stats.exit == 0, "got \(stats.exit) \(stats.output)")
        for line in ["recorded   3 (done 2, failed 1)", "failed by  corrupt_image 1",
                     "verified   100.0% of 1 checked", "last hour  3 finished"] {
            #expect(stats.output.contains(line), "stats lack \"\(line)\":\n\(stats.output)")
        }
    }

    /// Runs the `ocrspool` tool on the harness's spool and database.
    private func ocrspool(
        _ arguments: [String], _ harness: ResultDaemonHarness
    ) throws -> (exit: Int32?, output: String) {
        let tool = try ChildProcess(
            ChildProcess.product("ocrspool"),
            arguments + ["--spool", harness.spool.spool.root, "--db", harness.databasePath],
            logDirectory: harness.spool.directory.path)
        let exit = tool.wait(timeout: 20)
        return (exit, tool.log)
    }
}
