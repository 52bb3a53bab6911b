import Foundation
import Testing
import TestKit

/// Each daemon, started from its unit's `ExecStart=` exactly as written (the
/// spool, run directory and settings files mapped into a temporary directory),
/// must speak the `Type=notify` protocol systemd relies on.
@Suite("notify protocol of every unit")
struct NotifyProtocolTests {
    @Test(
        "ExecStart= reports READY=1, keeps WATCHDOG=1 within WatchdogSec, stops on SIGTERM",
        arguments: Repository.services)
    func unitSpeaksNotifyProtocol(_ unitName: String) throws {
        let unit = try Repository.unit(unitName)
        let directory = try TemporaryDirectory("systemd-notify")
        let spool = directory.file("spool")
        try TmpfilesEntry.create(
            try TmpfilesEntry.repositoryEntries(), mapping: "/var/spool/ocrspool", to: spool)
        try FileManager.default.createDirectory(
            atPath: directory.file("run"), withIntermediateDirectories: true)
        // The bridge's unit needs its broker file; no broker listens on this port.
        let amqpEnv = "OCRSPOOL_AMQP_URL=amqp://guest:guest@127.0.0.1:\(freePort())/\n"
        _ = FileManager.default.createFile(
            atPath: directory.file("amqp.env"), contents: Data(amqpEnv.utf8))

        let notify = try NotifySocket(path: directory.file("notify.sock"))
        let launch = try UnitLaunch(unit: unit, mapping: [
            ("/var/spool/ocrspool", spool),
            ("/run/ocrspool", directory.file("run")),
            ("/usr/local/bin", ChildProcess.productsDirectory),
            ("/etc/ocrspool/ocrspool.env", Repository.path("deploy/ocrspool.env")),
            ("/etc/ocrspool/amqp.env", directory.file("amqp.env")),
        ], notifySocket: notify.path)
        let program = launch.argv[0]
        guard FileManager.default.isExecutableFile(atPath: program) else {
            Issue.record("""
                \(unitName): ExecStart program \(program) does not exist: the daemon is not \
                written or not built yet (run swift build)
                """)
            return
        }

        let socket = try Self.activationSocket(of: unit, mapping: directory.file("run"))
        let logPath = directory.file("daemon.log")
        let process = try launch.start(logPath: logPath, socket: socket)
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        // Socket activation starts the daemon on the first connection, as nginx's would.
        var client: UnixStreamClient?
        if let socket {
            #expect(waitUntil(timeout: 5) { FileManager.default.fileExists(atPath: socket.path) })
            client = try UnixStreamClient(path: socket.path)
            try client?.send("GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        }

        let startLimit = launch.seconds("TimeoutStartSec", default: 90)
        let running = { process.isRunning }
        guard let ready = notify.wait(
            for: "READY", value: "1", timeout: startLimit, while: running)
        else {
            let state = process.isRunning
                ? "still running" : "exited with status \(process.terminationStatus)"
            Issue.record(Comment(rawValue: "\(unitName): got no READY=1 (\(state), limit"
                + " TimeoutStartSec=\(startLimit)s); argv=\(launch.argv); log:\n\(log())"))
            return
        }
        #expect(ready.senderPID == process.processIdentifier, Comment(rawValue:
            "READY=1 came from pid \(ready.senderPID), want the main pid"
            + " \(process.processIdentifier) (NotifyAccess=main)"))
        if let client {
            let response = client.readAll(timeout: 10)
            let head = response.prefix(200)
            #expect(response.hasPrefix("HTTP/1.") && response.contains(" 200 "),
                    "GET /healthz over the handed-over socket: got \(head), want 200")
        }

        // systemd restarts the service when WATCHDOG=1 does not come within WatchdogSec.
        let watchdogLimit = launch.seconds("WatchdogSec", default: 0)
        #expect(watchdogLimit > 0, "\(unitName): WatchdogSec= is not set")
        var last = ready
        for beat in 1...3 {
            guard let next = notify.wait(
                for: "WATCHDOG", value: "1", from: last.index + 1,
                timeout: max(watchdogLimit, 1), while: running)
            else {
                Issue.record(Comment(rawValue: "\(unitName): WATCHDOG=1 number \(beat) did not"
                    + " come within WatchdogSec=\(watchdogLimit)s of the last notification;"
                    + " log:\n\(log())"))
                return
            }
            #expect(next.senderPID == process.processIdentifier)
            last = next
        }
        let statuses = notify.messages.compactMap { $0.fields["STATUS"] }
        #expect(statuses.contains { !$0.isEmpty }, "\(unitName): no STATUS= line, got \(statuses)")

        // systemd sends SIGTERM, then SIGKILL once TimeoutStopSec has passed.
        let stopLimit = launch.seconds("TimeoutStopSec", default: 90)
        kill(process.processIdentifier, SIGTERM)
        guard waitUntil(timeout: stopLimit, { !process.isRunning }) else {
            Issue.record("\(unitName): still running \(stopLimit)s (TimeoutStopSec) after SIGTERM")
            return
        }
        let ending = process.terminationReason == .exit ? "exit" : "signal"
        #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                Comment(rawValue: "\(unitName): ended by \(ending) \(process.terminationStatus),"
                    + " want exit 0; log:\n\(log())"))
        #expect(notify.wait(for: "STOPPING", value: "1", from: last.index, timeout: 1) != nil,
                "\(unitName): no STOPPING=1 after SIGTERM")
    }

    /// The socket a service is activated with: the `ListenStream=` of the
    /// `.socket` unit it requires, with `/run/ocrspool` mapped to `run`.
    static func activationSocket(
        of unit: UnitFile, mapping run: String
    ) throws -> (path: String, name: String)? {
        let required = unit.values("Unit", "Requires").flatMap { $0.split(separator: " ") }
        guard let name = required.first(where: { $0.hasSuffix(".socket") }).map(String.init)
        else { return nil }
        let socketUnit = try Repository.unit(name)
        guard let listen = socketUnit.value("Socket", "ListenStream") else { return nil }
        return (listen.replacingOccurrences(of: "/run/ocrspool", with: run), name)
    }
}
