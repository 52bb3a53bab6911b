import Foundation
import ResultStore
import SpoolKit
import TestKit
import Testing

/// Retention prunes only what is recorded and delivered, while jobs keep coming.
@Suite struct RetentionTests {
    @Test func pruningWhileJobsArriveNeverRemovesAnUnrecordedOrUndeliveredJob() throws {
        let harness = try ResultDaemonHarness("result-prune")
        let slowHook = harness.spool.directory.file("slow.sh")
        try "sleep 0.05; exec /bin/sh \"$@\"\n".write(
            toFile: slowHook, atomically: true, encoding: .utf8)
        let recording = harness.recordingHook.replacingOccurrences(of: "/bin/sh ", with: "")
        try harness.start([
            "--on-result", "/bin/sh \(slowHook) \(recording)", "--keep-done", "0s",
            "--keep-failed", "0s", "--prune-interval", "50ms", "--rescan-interval", "1s",
        ])
        let spool = harness.spool.spool

        let produced = Produced()
        let producer = Thread {
            for index in 0..<300 {
                let failure = index % 7 == 0 ? "timeout" : nil
                if let name = try? spool.makeFinishedJob(digits: "\(index)", failure: failure) {
                    produced.add(name.string)
                }
                if index % 20 == 0 { usleep(100_000) }
            }
            produced.finish()
        }
        producer.start()

        // Whenever a job's result has left the spool, the database must hold it
        // with its hook delivered: checked over and over while jobs arrive.
        let store = try harness.store()
        var checks = 0
        var violations: [String] = []
        let deadline = Date().addingTimeInterval(120)
        var remaining = 1
        while remaining > 0 && Date() < deadline {
            remaining = 0
            for name in produced.names {
                guard let job = JobName(name) else { continue }
                if spool.result(of: job) != nil {
                    remaining += 1
                    continue
                }
                checks += 1
                let recorded = try store.result(name) != nil
                let states = try store.deliveries(of: name).map(\.state)
                if !recorded || states != [.delivered] {
                    violations.append("\(name): recorded=\(recorded) deliveries=\(states)")
                }
            }
            if !produced.isFinished { remaining += 1 }
            usleep(20_000)
        }

        #expect(violations.isEmpty, "pruned too early: \(violations.prefix(5))")
        #expect(remaining == 0, "\(remaining) jobs never pruned\n\(harness.logs.suffix(2000))")
        let rows = try store.count()
        #expect(rows == 300, "got \(rows) rows, want 300")
        #expect(checks >= 300, "got \(checks) checks of pruned jobs, want at least 300")
        let leftovers = harness.spool.entries(.done) + harness.spool.entries(.failed)
        #expect(leftovers.isEmpty, "left in the spool: \(leftovers.prefix(5))")
        let hooked = Set(harness.hookRuns().map(\.json))
        #expect(hooked == Set(produced.names), "hooks missed some pruned jobs")
    }

    @Test func keepImagesPrunesResultFilesAndLeavesImagesAnsweredFromTheDatabase() throws {
        let harness = try ResultDaemonHarness("result-keep")
        try harness.start([
            "--keep-done", "0s", "--keep-images", "--prune-interval", "50ms",
        ])
        let spool = harness.spool.spool
        var names: [JobName] = []
        for index in 0..<10 { names.append(try spool.makeFinishedJob(digits: "\(index)")) }

        let pruned = waitUntil(timeout: 30) { names.allSatisfy { spool.result(of: $0) == nil } }
        #expect(pruned, "result files still in done/: \(harness.spool.entries(.done))")
        let store = try harness.store()
        for name in names {
            #expect(FileManager.default.fileExists(atPath: spool.path(.done, name)),
                    "image of \(name) removed despite --keep-images")
            #expect(try store.result(name.string)?.id == name.string,
                    "pruned job \(name) not answered from the database")
        }
    }

    @Test func withoutRetentionNothingIsPruned() throws {
        let harness = try ResultDaemonHarness("result-keepall")
        try harness.start(["--prune-interval", "50ms"])
        let name = try harness.spool.spool.makeFinishedJob()
        #expect(try harness.waitSettled(count: 1, timeout: 20))
        usleep(300_000)
        #expect(harness.spool.spool.result(of: name) != nil, "pruned with no --keep-done")
    }

    @Test func keepRecordsForgetsPrunedJobsOnlyAndNeverRecordsThemAgain() throws {
        let harness = try ResultDaemonHarness("result-forget")
        try harness.start([
            "--on-result", harness.recordingHook, "--keep-failed", "0s", "--keep-records", "0s",
            "--prune-interval", "50ms", "--rescan-interval", "100ms",
        ])
        let spool = harness.spool.spool
        var kept: [JobName] = []
        var pruned: [JobName] = []
        for index in 0..<5 {
            kept.append(try spool.makeFinishedJob(digits: "\(index)"))
            pruned.append(try spool.makeFinishedJob(failure: "timeout"))
        }

        let store = try harness.store()
        let forgotten = waitUntil(timeout: 30) {
            pruned.allSatisfy { (try? store.result($0.string)) == nil }
                && pruned.allSatisfy { spool.result(of: $0) == nil }
        }
        #expect(forgotten, "pruned jobs' records not forgotten\n\(harness.logs.suffix(2000))")
        // Several rescans later the forgotten jobs are still not recorded again.
        usleep(600_000)
        for name in kept {
            #expect(try store.result(name.string) != nil, "\(name) is in done/, record gone")
        }
        let rows = try store.count()
        #expect(rows == 5, "got \(rows) rows, want the 5 kept")
        let runs = harness.hookRuns().map(\.json).sorted()
        let want = (kept + pruned).map(\.string).sorted()
        #expect(runs == want, "got \(runs.count) hook runs, want one per job (\(want.count))")
    }
}
