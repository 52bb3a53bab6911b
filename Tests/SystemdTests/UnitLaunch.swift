import Foundation
import TestKit

/// Starts a unit's `ExecStart=` the way systemd would, but inside a temporary
/// directory: the paths the unit names on the host (spool, run directory,
/// programs, settings files) are mapped to test places, and the process gets
/// systemd's environment: a clean one with `Environment=`, then
/// `EnvironmentFile=` (which overrides it), then `NOTIFY_SOCKET` and
/// `WATCHDOG_USEC` from `WatchdogSec=`.
struct UnitLaunch {
    let unit: UnitFile
    /// Host path prefix → the test's path, applied to every argument and value.
    let mapping: [(String, String)]
    let argv: [String]
    let environment: [String: String]

    /// Resolves `unit` against `mapping`, with `notifySocket` as `NOTIFY_SOCKET`.
    init(unit: UnitFile, mapping: [(String, String)], notifySocket: String) throws {
        self.unit = unit
        self.mapping = mapping
        func mapped(_ text: String) -> String {
            mapping.reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        }

        // What the manager itself gives every service (systemd.exec(5), "Environment").
        var environment = [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "LANG": "C.UTF-8",
            "INVOCATION_ID": UUID().uuidString.replacingOccurrences(of: "-", with: ""),
        ]
        if let user = unit.value("Service", "User") {
            environment["USER"] = user
            environment["LOGNAME"] = user
        }
        for (key, value) in try unit.environmentAssignments() {
            environment[key] = mapped(value)
        }
        for (path, optional) in try unit.environmentFiles() {
            let local = mapped(path)
            guard FileManager.default.fileExists(atPath: local) else {
                if optional { continue }
                throw UnitFile.ParseError(description: "\(unit.name): EnvironmentFile \(path)"
                    + " (here \(local)) is missing")
            }
            let text = try String(contentsOfFile: local, encoding: .utf8)
            for (key, value) in try EnvironmentFile.parse(text) {
                environment[key] = mapped(value)
            }
        }
        environment["NOTIFY_SOCKET"] = notifySocket
        if let watchdog = unit.value("Service", "WatchdogSec").flatMap(UnitFile.seconds) {
            environment["WATCHDOG_USEC"] = String(Int(watchdog * 1_000_000))
        }
        self.environment = environment
        argv = try unit.execStart(environment: environment).map(mapped)
    }

    /// A `[Service]` time span in seconds, or `fallback` when the unit sets none.
    func seconds(_ key: String, default fallback: Double) -> Double {
        unit.value("Service", key).flatMap(UnitFile.seconds) ?? fallback
    }

    /// Starts the command; with `socket`, through `systemd-socket-activate`,
    /// which binds it and hands it over as fd 3 with `LISTEN_FDS`/`LISTEN_PID`
    /// (the same pid: it execs the command once a client connects).
    func start(logPath: String, socket: (path: String, name: String)? = nil) throws -> Process {
        let process = Process()
        if let socket {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
            var arguments = ["--listen=\(socket.path)", "--fdname=\(socket.name)"]
            for (key, value) in environment.sorted(by: { $0.key < $1.key }) {
                arguments.append("--setenv=\(key)=\(value)")
            }
            process.arguments = arguments + argv
        } else {
            process.executableURL = URL(fileURLWithPath: argv[0])
            process.arguments = Array(argv.dropFirst())
        }
        process.environment = environment
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}
