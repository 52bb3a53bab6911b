import Foundation
import Testing
import TestKit

/// DaemonKit's `ServiceLoop` as systemd sees it, through `ocrspool-loop-probe`
/// (a daemon whose tick the test can wedge): the heartbeat must come from the
/// main loop, so that a wedged loop goes silent and the watchdog restarts it.
@Suite("ServiceLoop watchdog")
struct ServiceLoopWatchdogTests {
    /// A running probe with its notify socket and wedge file.
    final class Probe {
        let directory: TemporaryDirectory
        let notify: NotifySocket
        let process: Process
        var blockPath: String { directory.file("block") }
        var log: String {
            (try? String(contentsOfFile: directory.file("probe.log"), encoding: .utf8)) ?? ""
        }

        /// Starts the probe with `WATCHDOG_USEC` and a tick interval of its own.
        init(watchdogMicroseconds: Int, interval: String) throws {
            directory = try TemporaryDirectory("systemd-loop")
            notify = try NotifySocket(path: directory.file("notify.sock"))
            process = Process()
            process.executableURL = URL(
                fileURLWithPath: ChildProcess.product("ocrspool-loop-probe"))
            process.arguments = ["--block", directory.file("block"), "--interval", interval]
            process.environment = [
                "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify.path,
                "WATCHDOG_USEC": String(watchdogMicroseconds),
            ]
            let logPath = directory.file("probe.log")
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        deinit {
            unlink(blockPath)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }

        /// Wedges the next tick and returns the notification that says it began.
        func wedge() -> NotifySocket.Message? {
            _ = FileManager.default.createFile(atPath: blockPath, contents: nil)
            return waitForStatus(prefix: "blocked", timeout: 5)
        }

        func waitForStatus(prefix: String, timeout: Double) -> NotifySocket.Message? {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                if let found = notify.messages.first(where: {
                    $0.fields["STATUS"]?.hasPrefix(prefix) == true
                }) {
                    return found
                }
                usleep(20_000)
            } while Date() < deadline
            return nil
        }

        func watchdogs(after index: Int) -> [NotifySocket.Message] {
            notify.messages.filter { $0.index > index && $0.fields["WATCHDOG"] == "1" }
        }
    }

    @Test("READY=1 carries the first STATUS, and WATCHDOG_USEC shortens a longer tick interval")
    func readyThenHeartbeatAtWatchdogPace() throws {
        // WATCHDOG_USEC=400ms asks for a beat every 200ms; the probe's own interval is 30s.
        let probe = try Probe(watchdogMicroseconds: 400_000, interval: "30s")
        let ready = try #require(probe.notify.wait(for: "READY", value: "1", timeout: 10),
                                 "no READY=1; log:\n\(probe.log)")
        #expect(ready.fields["STATUS"] == "ticks=0",
                "READY=1 datagram's STATUS: got \(ready.fields["STATUS"] ?? "none"), want ticks=0")
        #expect(waitUntil(timeout: 5) { probe.watchdogs(after: ready.index).count >= 3 },
                "WATCHDOG=1 in 5s: got \(probe.watchdogs(after: ready.index).count), want >= 3")
    }

    @Test("a wedged tick stops WATCHDOG=1 until it returns, so systemd's watchdog fires")
    func wedgedTickSilencesWatchdog() throws {
        let probe = try Probe(watchdogMicroseconds: 400_000, interval: "30s")
        let ready = try #require(probe.notify.wait(for: "READY", value: "1", timeout: 10))
        #expect(waitUntil(timeout: 5) { probe.watchdogs(after: ready.index).count >= 2 })

        let wedged = try #require(probe.wedge(), "the tick never reported it was blocked")
        // Three whole watchdog periods: systemd would have killed the service by now.
        usleep(1_200_000)
        let during = probe.watchdogs(after: wedged.index)
        #expect(during.isEmpty, "WATCHDOG=1 while the tick was wedged: got \(during.count), want 0")

        unlink(probe.blockPath)
        #expect(waitUntil(timeout: 5) { !probe.watchdogs(after: wedged.index).isEmpty },
                "WATCHDOG=1 did not resume after the tick returned")

        kill(probe.process.processIdentifier, SIGTERM)
        // A loaded CI machine may take seconds; reading the exit of a running
        // process would trap, so the test stops here if it has not ended.
        try #require(waitUntil(timeout: 20) { !probe.process.isRunning },
                     "still running 20 s after SIGTERM\n\(probe.log)")
        #expect(probe.process.terminationReason == .exit && probe.process.terminationStatus == 0,
                "exit after SIGTERM: got \(probe.process.terminationStatus), want 0")
        #expect(probe.notify.wait(for: "STOPPING", value: "1", timeout: 1) != nil)
    }

    @Test("a second SIGTERM forces a wedged loop out with exit 1")
    func secondSignalForcesWedgedLoopOut() throws {
        let probe = try Probe(watchdogMicroseconds: 400_000, interval: "30s")
        _ = try #require(probe.notify.wait(for: "READY", value: "1", timeout: 10))
        _ = try #require(probe.wedge(), "the tick never reported it was blocked")

        // The first signal asks the loop to stop, which a wedged loop cannot do.
        kill(probe.process.processIdentifier, SIGTERM)
        usleep(300_000)

        kill(probe.process.processIdentifier, SIGTERM)
        try #require(waitUntil(timeout: 20) { !probe.process.isRunning },
                     "still running 20 s after a second SIGTERM\n\(probe.log)")
        #expect(probe.process.terminationReason == .exit && probe.process.terminationStatus == 1,
                "forced exit status: got \(probe.process.terminationStatus), want 1")
    }
}
