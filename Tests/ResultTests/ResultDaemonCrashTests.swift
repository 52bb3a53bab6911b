import Foundation
import ResultStore
import SpoolKit
import TestKit
import Testing

/// The daemon records every finished job exactly once and delivers it at least
/// once, whatever instant it is killed at and however many instances run.
@Suite struct ResultDaemonCrashTests {
    @Test func thousandResultsSurviveRandomSIGKILLsWithExactlyOneRowEach() throws {
        let harness = try ResultDaemonHarness("result-crash")
        let arguments = ["--on-result", harness.recordingHook, "--hook-timeout", "10s",
                         "--rescan-interval", "2s"]
        var daemon = try harness.start(arguments)

        // Jobs finish on another thread while the daemon is killed and restarted.
        let spool = harness.spool.spool
        let produced = Produced()
        let producer = Thread {
            for index in 0..<1000 {
                let failure = index % 10 == 0 ? "corrupt_image" : nil
                if let name = try? spool.makeFinishedJob(digits: "\(index)", failure: failure) {
                    produced.add(name.string)
                }
                if index % 50 == 0 { usleep(50_000) }
            }
            produced.finish()
        }
        producer.start()

        var kills = 0
        let deadline = Date().addingTimeInterval(60)
        while (!produced.isFinished || kills < 12) && Date() < deadline {
            usleep(UInt32.random(in: 200_000...800_000))
            daemon.kill9()
            kills += 1
            daemon = try harness.start(arguments)
        }
        #expect(produced.isFinished, "the producer did not finish in time")
        #expect(produced.names.count == 1000, "got \(produced.names.count) jobs made, want 1000")

        let settled = try harness.waitSettled(count: 1000, timeout: 90)
        let store = try harness.store()
        let rows = try store.count()
        let counts = try store.deliveryCounts()
        #expect(settled, "not settled: \(rows) rows, deliveries \(counts)")
        #expect(rows == 1000, "got \(rows) rows, want 1000")
        let delivered = try store.deliveryCounts()[.delivered] ?? 0
        #expect(delivered == 1000, "got \(delivered) delivered, want 1000")
        for name in produced.names where try store.result(name) == nil {
            Issue.record("job \(name) missing from the database")
        }

        let runs = harness.hookRuns()
        let mismatched = runs.filter { $0.environment != $0.json }
        #expect(mismatched.isEmpty, "hook got another job's JSON: \(mismatched.prefix(3))")
        let hooked = Set(runs.map(\.json))
        let missing = Set(produced.names).subtracting(hooked)
        #expect(missing.isEmpty, "\(missing.count) jobs never reached the hook")
        #expect(runs.count >= 1000, "got \(runs.count) hook runs, want at least 1000")

        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 20) == 0, "SIGTERM did not end the daemon with 0")
        print("crash test: kills=\(kills) hook_runs=\(runs.count) repeats=\(runs.count - 1000)")
    }

    @Test func twoInstancesOnOneSpoolRecordNothingTwice() throws {
        let harness = try ResultDaemonHarness("result-twice")
        let arguments = ["--on-result", harness.recordingHook, "--rescan-interval", "1s"]
        try harness.start(arguments)
        try harness.start(arguments)
        var names: [String] = []
        for index in 0..<200 {
            names.append(try harness.spool.spool.makeFinishedJob(digits: "\(index)").string)
        }

        let settled = try harness.waitSettled(count: 200, timeout: 60)
        let rows = try harness.store().count()
        #expect(settled, "not settled: \(rows) rows\n\(harness.logs.suffix(2000))")
        #expect(rows == 200, "got \(rows) rows, want 200")
        let recordedLines = harness.logs.split(separator: "\n")
            .filter { $0.contains(" recorded job=") }.count
        #expect(recordedLines == 200, "got \(recordedLines) 'recorded' lines, want 200")
        let hooked = Set(harness.hookRuns().map(\.json))
        #expect(hooked == Set(names), "hooks missed \(Set(names).subtracting(hooked).count)")
    }
}
