import Foundation
import ResultStore
import SpoolKit
import TestKit
import Testing

/// A bad hook command is logged clearly, retried, given up on, and costs no
/// record; a hook failing for one job does not hold up the others.
@Suite struct BadHookTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var command: String
        /// What the deliveries must end as.
        var state: DeliveryState
        /// Phrases the daemon's log must contain.
        var logged: [String]
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "missing", command: "/nonexistent/ocrspool-hook --flag",
             state: .abandoned,
             logged: ["cannot start /nonexistent/ocrspool-hook", "No such file or directory",
                      "delivery abandoned, record kept"]),
        Case(label: "non-zero exit", command: "/bin/sh -c 'echo refused >&2; exit 3'",
             state: .abandoned,
             logged: ["exit status 3", "refused", "delivery failed, will retry",
                      "delivery abandoned, record kept"]),
        Case(label: "hanging", command: "/bin/sleep 60", state: .abandoned,
             logged: ["timed out after 1.0s, killed", "delivery abandoned, record kept"]),
        Case(label: "printing megabytes",
             command: "/bin/sh -c 'head -c 8000000 /dev/zero | tr \"\\\\0\" x'",
             state: .delivered, logged: ["hook output discarded", "bytes=8000000"]),
    ]

    @Test(arguments: cases)
    func aBadHookIsLoggedAndLosesNoRecord(_ bad: Case) throws {
        let harness = try ResultDaemonHarness("result-bad")
        let daemon = try harness.start([
            "--on-result", bad.command, "--hook-timeout", "1s", "--hook-attempts", "2",
            "--hook-backoff", "100ms", "--keep-done", "0s", "--prune-interval", "100ms",
        ])
        var names: [String] = []
        for index in 0..<3 {
            names.append(try harness.spool.spool.makeFinishedJob(digits: "\(index)").string)
        }

        let settled = try harness.waitSettled(count: 3, timeout: 40)
        let store = try harness.store()
        #expect(settled, "\(bad.label): not settled\n\(daemon.log.suffix(2000))")
        for name in names {
            #expect(try store.result(name) != nil, "\(bad.label): \(name) not recorded")
            let states = try store.deliveries(of: name).map(\.state)
            #expect(states == [bad.state], "\(bad.label): got \(states), want \(bad.state)")
        }
        let log = daemon.log
        for phrase in bad.logged {
            #expect(
                log.contains(phrase),
                "\(bad.label): log lacks \"\(phrase)\"\n\(log.suffix(1500))")
        }
        #expect(log.contains("job=\(names[0])"), "\(bad.label): log lines lack the job id")

        // Settled jobs are pruned even when their hook was given up on.
        let pruned = waitUntil(timeout: 20) { harness.spool.entries(.done).isEmpty }
        #expect(pruned, "\(bad.label): settled jobs not pruned")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 20) == 0, "\(bad.label): the daemon did not survive")
    }

    @Test func aStopKillsHooksStillRunningAfterTheGraceAndKeepsTheirDeliveries() throws {
        let harness = try ResultDaemonHarness("result-stop-hook")
        let marker = harness.spool.directory.file("hook.pid")
        let daemon = try harness.start([
            "--on-result", "/bin/sh -c 'echo $$ > \(marker); exec sleep 300'",
            "--hook-timeout", "600s", "--stop-grace", "1s",
        ])
        let name = try harness.spool.spool.makeFinishedJob().string
        var hook: Int32 = 0
        let started = waitUntil(timeout: 20) {
            hook = Int32(((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "")
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return hook > 0
        }
        try #require(started, "the hook never ran\n\(daemon.log)")

        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 15) == 0, "the stop did not end in time\n\(daemon.log)")
        #expect(kill(hook, 0) != 0, "hook \(hook) outlived the daemon")
        #expect(daemon.log.contains("hooks killed"), "no kill logged\n\(daemon.log)")
        let states = try harness.store().deliveries(of: name).map(\.state)
        #expect(states == [.pending], "got \(states), want the delivery kept for a repeat")
    }

    @Test func emptyOrNeverRetentionKeepsForever() throws {
        let harness = try ResultDaemonHarness("result-keep-never")
        let daemon = try harness.start([
            "--keep-done", "", "--keep-failed", "never", "--prune-interval", "100ms",
        ])
        let logged = "keep_done=forever keep_failed=forever"
        #expect(waitUntil(timeout: 20) { daemon.log.contains(logged) }, "got \(daemon.log)")
        _ = try harness.spool.spool.makeFinishedJob()
        #expect(try harness.waitSettled(count: 1, timeout: 20))
        Thread.sleep(forTimeInterval: 0.5)
        #expect(harness.spool.entries(.done).count == 2, "pruned: \(harness.spool.entries(.done))")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 20) == 0)
    }

    @Test func aHookFailingForOneJobDoesNotHoldUpTheOthers() throws {
        let harness = try ResultDaemonHarness("result-one-bad")
        let picky = harness.spool.directory.file("picky.sh")
        try """
            json=$(cat)
            case "$json" in *'"digits":"13"'*) echo "not this one"; exit 1;; esac
            printf '%s' "$json" | /bin/sh "$@"
            """.write(toFile: picky, atomically: true, encoding: .utf8)
        let recording = harness.recordingHook.replacingOccurrences(of: "/bin/sh ", with: "")
        try harness.start([
            "--on-result", "/bin/sh \(picky) \(recording)", "--hook-attempts", "1000",
            "--hook-backoff", "50ms", "--hook-concurrency", "2",
        ])
        var names: [String] = []
        for index in 0..<20 {
            names.append(try harness.spool.spool.makeFinishedJob(digits: "\(index)").string)
        }
        let bad = names[13]
        let good = Set(names).subtracting([bad])
        let delivered = waitUntil(timeout: 40) {
            good.isSubset(of: Set(harness.hookRuns().map(\.json)))
        }
        #expect(delivered, "good jobs held up behind a failing one")

        let store = try harness.store()
        #expect(try store.count() == 20)
        var states = try store.deliveries(of: bad)
        let retried = waitUntil(timeout: 20) {
            states = (try? store.deliveries(of: bad)) ?? []
            return (states.first?.attempts ?? 0) > 1
        }
        #expect(retried, "got \(states), want retried")
        #expect(states.first?.state == .pending, "got \(states), want still owed")
    }
}
