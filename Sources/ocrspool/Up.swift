import DaemonKit
import Foundation
import SpoolKit

/// `ocrspool up`: every daemon that is installed beside this program, in the
/// foreground, on one spool, until Ctrl-C. A daemon that dies is restarted after
/// a pause, as systemd would; Ctrl-C stops them all gracefully.
func upCommand(_ arguments: [String]) throws -> Int32 {
    let (options, spool) = try parse(
        arguments, valued: ["port", "workers", "amqp", "listen"], flags: ["poll"])
    try spool.create()
    let port = try options.integer("port", default: 8080, in: 1...65535)
    let listen = options.value("listen") ?? "127.0.0.1:\(port)"

    var plans: [DaemonPlan] = []
    var ocr = ["--spool", spool.root]
    if let workers = options.value("workers") { ocr += ["--workers", workers] }
    if options.has("poll") { ocr.append("--poll") }
    plans.append(DaemonPlan(name: "ocrspool-ocr", arguments: ocr))
    plans.append(DaemonPlan(
        name: "ocrspool-upload", arguments: ["--spool", spool.root, "--listen", listen], optional: true))
    plans.append(DaemonPlan(name: "ocrspool-result", arguments: ["--spool", spool.root], optional: true))
    if let url = options.value("amqp") {
        plans.append(DaemonPlan(
            name: "ocrspool-amqp", arguments: ["--spool", spool.root],
            environment: ["OCRSPOOL_AMQP_URL": url]))
    }

    let supervisor = Supervisor(logger: Logger(label: "ocrspool-up"))
    for plan in plans {
        guard FileManager.default.isExecutableFile(atPath: plan.path) else {
            if plan.optional { continue }
            throw CommandError(description: "\(plan.path) not found: build it (swift build) first")
        }
        try supervisor.start(plan)
    }
    var lines = ["ocrspool up: spool=\(spool.root) daemons=\(supervisor.names.joined(separator: ","))"]
    if supervisor.names.contains("ocrspool-upload") {
        let host = listen.hasPrefix("unix:") ? listen : "http://\(listen)/"
        lines.append("ocrspool up: upload page \(host)")
    }
    lines.append("ocrspool up: drop images into \(spool.directory(.incoming))/, results in "
        + "\(spool.directory(.done))/; Ctrl-C stops")
    print(lines.joined(separator: "\n"))
    fflush(nil)

    let stop = DispatchSemaphore(value: 0)
    let signals = SignalWatcher { _ in stop.signal() }
    stop.wait()
    supervisor.stopAll(grace: 20)
    withExtendedLifetime(signals) {}
    return 0
}

/// A daemon `up` runs: its program beside `ocrspool`, its arguments and environment.
struct DaemonPlan: Sendable {
    var name: String
    var arguments: [String]
    var environment: [String: String] = [:]
    /// Skipped without complaint when not installed.
    var optional = false

    var path: String {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let beside = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent(name).path
            ?? beside
    }
}

/// Runs child daemons, restarts any that die, and stops them all on request.
final class Supervisor: @unchecked Sendable {
    private let logger: Logger
    private let lock = NSLock()
    private var children: [String: Process] = [:]
    private var stopping = false

    init(logger: Logger) { self.logger = logger }

    var names: [String] {
        lock.lock()
        defer { lock.unlock() }
        return children.keys.sorted()
    }

    func start(_ plan: DaemonPlan) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: plan.path)
        process.arguments = plan.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(plan.environment) { $1 }
        process.terminationHandler = { [weak self] finished in
            self?.exited(plan, status: finished.terminationStatus)
        }
        try process.run()
        lock.lock()
        children[plan.name] = process
        lock.unlock()
        logger.info("daemon started", ["daemon": plan.name, "pid": process.processIdentifier])
    }

    private func exited(_ plan: DaemonPlan, status: Int32) {
        lock.lock()
        let restart = !stopping
        lock.unlock()
        guard restart else { return }
        logger.warning("daemon exited, restarting in 1s", ["daemon": plan.name, "status": status])
        DispatchQueue.global().asyncAfter(deadline: .now() + 1) { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let stillRunning = !self.stopping
            self.lock.unlock()
            guard stillRunning else { return }
            do {
                try self.start(plan)
            } catch {
                self.logger.error("daemon restart failed", ["daemon": plan.name, "error": error])
            }
        }
    }

    /// SIGTERM to every child, then SIGKILL to any still running after `grace` seconds.
    func stopAll(grace: Double) {
        lock.lock()
        stopping = true
        let running = Array(children.values)
        lock.unlock()
        for process in running where process.isRunning {
            kill(process.processIdentifier, SIGTERM)
        }
        let deadline = Date().addingTimeInterval(grace)
        while running.contains(where: \.isRunning) && Date() < deadline { usleep(20_000) }
        for process in running where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        logger.info("stopped")
    }
}
