import DaemonKit
import Foundation
import OCRKit
import SpoolKit

/// The OCR daemon: recovers the spool, loads one engine per worker, then feeds
/// the workers with what the `incoming/` watcher reports, and takes back the
/// jobs of dead workers as soon as `processing/` says their owner closed them.
final class OCRDaemon: @unchecked Sendable {
    struct Settings: Sendable {
        var workers: Int
        var maxAttempts: Int
        var watch: SpoolWatcher.Settings
        var worker: WorkerSettings
        /// Seconds a graceful stop waits for jobs in hand before giving them up.
        var stopGrace: Double
        /// Seconds on one job after which a worker counts as wedged (past its
        /// deadline, which Tesseract checks only between words): the watchdog
        /// is withheld, systemd restarts the daemon and the job is retried.
        var stallAfter: Double
    }

    private let spool: Spool
    private let settings: Settings
    private let logger: Logger
    private let queue = WorkQueue()
    private var workers: [OCRWorker] = []
    private var watchers: [SpoolWatcher] = []

    init(spool: Spool, settings: Settings, logger: Logger) {
        self.spool = spool
        self.settings = settings
        self.logger = logger
    }

    /// Runs until SIGTERM/SIGINT; returns the process exit status.
    func run() throws -> Int32 {
        try spool.create()
        let report = try spool.recover(maxAttempts: settings.maxAttempts)
        log(report)
        try startWorkers()
        try startWatchers()

        let loop = ServiceLoop(logger: logger)
        logger.info("started", [
            "spool": spool.root, "workers": settings.workers, "mode": settings.worker.mode.rawValue,
            "poll": settings.watch.polling,
        ])
        var ticks = 0
        loop.run(status: statusLine(), stalled: stalledWorker) {
            ticks += 1
            if ticks % 5 == 0 {
                do {
                    log(try spool.recover(maxAttempts: settings.maxAttempts))
                } catch {
                    logger.warning("recovery failed", ["error": error])
                }
            }
            return statusLine()
        }
        return stop()
    }

    private func startWorkers() throws {
        let group = DispatchGroup()
        let failures = Failures()
        for index in 0..<settings.workers {
            let worker = OCRWorker(
                index: index, spool: spool, queue: queue, settings: settings.worker, logger: logger)
            group.enter()
            worker.start { error in
                if let error { failures.append(error) }
                group.leave()
            }
            workers.append(worker)
        }
        group.wait()
        if let first = failures.first {
            queue.close()
            throw first
        }
    }

    private func startWatchers() throws {
        let incoming = SpoolWatcher(
            spool: spool, queue: .incoming, settings: settings.watch, logger: logger
        ) { [queue] names in queue.add(names) }
        var list = [incoming]
        if !settings.watch.polling {
            let processing = SpoolWatcher(
                spool: spool, queue: .processing, settings: settings.watch, logger: logger
            ) { [spool, settings, logger] names in
                for name in names { OCRDaemon.takeBack(name, spool, settings.maxAttempts, logger) }
            }
            list.append(processing)
        }
        for watcher in list { try watcher.start() }
        watchers = list
    }

    /// Recovers one `processing/` entry whose owner may have just died.
    private static func takeBack(
        _ entry: String, _ spool: Spool, _ maxAttempts: Int, _ logger: Logger
    ) {
        do {
            log(try spool.recoverOrphan(entry, maxAttempts: maxAttempts), entry, logger)
        } catch {
            logger.warning("recovery failed", ["job": entry, "error": error])
        }
    }

    /// One line for what recovery did with a job whose owner died.
    private static func log(_ outcome: OrphanOutcome, _ job: String, _ logger: Logger) {
        switch outcome {
        case .owned:
            break
        case .returned:
            logger.warning("owner died, job requeued", ["job": job])
        case .completed:
            logger.info("owner died after finishing, move completed", ["job": job])
        case .failed:
            logger.warning(
                "job failed after killing workers", ["job": job, "code": "worker_crashed"])
        }
    }

    /// Stops intake, lets workers finish what they hold, and returns the exit status.
    private func stop() -> Int32 {
        for watcher in watchers { watcher.stop() }
        queue.close()
        let deadline = Date().addingTimeInterval(settings.stopGrace)
        let clean = workers.allSatisfy { $0.join(timeout: max(0, deadline.timeIntervalSinceNow)) }
        if !clean {
            // Jobs still in hand stay locked until exit; the next recovery requeues them.
            logger.warning("stopping with jobs in hand", ["grace_s": settings.stopGrace])
        }
        logger.info("stopped", ["clean": clean])
        return 0
    }

    /// The first worker held by one job for longer than `stallAfter`, if any.
    private func stalledWorker() -> String? {
        for worker in workers {
            if let seconds = worker.secondsOnCurrentJob, seconds > settings.stallAfter {
                return "worker \(worker.index) on one job for "
                    + String(format: "%.1fs", seconds)
            }
        }
        return nil
    }

    private func statusLine() -> String {
        let depths = (try? spool.depths()) ?? [:]
        return "incoming=\(depths[.incoming] ?? 0) processing=\(depths[.processing] ?? 0) "
            + "done=\(depths[.done] ?? 0) failed=\(depths[.failed] ?? 0) "
            + "workers=\(settings.workers)"
    }

    private func log(_ report: RecoveryReport) {
        guard !report.isEmpty else { return }
        logger.notice("spool recovered", [
            "returned": report.returned.count, "completed": report.completed.count,
            "failed": report.failed.count, "removed": report.removed.count,
            "retried": report.retried.count,
        ])
        for name in report.returned { OCRDaemon.log(.returned, name, logger) }
        for name in report.completed { OCRDaemon.log(.completed, name, logger) }
        for name in report.failed { OCRDaemon.log(.failed, name, logger) }
        for name in report.retried { logger.notice("interrupted retry requeued", ["job": name]) }
        for problem in report.problems {
            logger.warning("cannot recover job", ["job": problem.entry, "error": problem.error])
        }
    }
}

/// Errors collected from worker threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []

    func append(_ error: any Error) {
        lock.lock()
        errors.append(error)
        lock.unlock()
    }

    var first: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return errors.first
    }
}
