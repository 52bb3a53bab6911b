import DaemonKit
import Foundation
import ResultStore
import SpoolKit

/// The result daemon: one recorder, one deliverer, one retention pass timer,
/// around one results database.
///
/// Start-up order makes a restart safe at any instant: leases of a dead former
/// process are freed, deliveries to targets no longer configured are skipped,
/// then the watchers' first scan records whatever finished while no daemon ran.
/// On SIGTERM it stops watching, records what was reported, lets running hooks
/// finish (each within its timeout) and exits 0.
final class ResultDaemon {
    private let configuration: ResultConfiguration
    private let logger: Logger
    private let store: ResultStore
    private let deliverer: Deliverer
    private let recorder: Recorder
    private let retention: Retention

    init(_ configuration: ResultConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try configuration.spool.requireInitialised()
        store = try ResultStore(path: configuration.databasePath)
        let webhook = configuration.webhook.map {
            WebhookSender(url: $0, timeout: configuration.delivery.timeout)
        }
        let deliverer = Deliverer(
            store: store, hook: configuration.hook, webhook: webhook,
            settings: configuration.delivery, logger: logger)
        self.deliverer = deliverer
        recorder = Recorder(
            spool: configuration.spool, store: store, targets: deliverer.targets,
            logger: logger, onRecorded: { deliverer.wake() })
        retention = Retention(
            spool: configuration.spool, store: store, settings: configuration.retention,
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT; returns the exit status.
    func run() -> Int32 {
        Processes.ignoreBrokenPipes()
        do {
            try prepareDeliveries()
            deliverer.start()
            try recorder.start(settings: configuration.watch)
            retention.start()
        } catch {
            logger.error("cannot start", ["error": error])
            return 1
        }
        logStart()

        let loop = ServiceLoop(logger: logger)
        loop.run(status: statusLine()) { statusLine() }

        retention.stop()
        recorder.stop()
        let grace = min(configuration.delivery.timeout + 5, configuration.delivery.stopGrace)
        if !deliverer.stop(timeout: grace) {
            // No hook outlives the daemon; what it was doing is delivered again later.
            let killed = HookProcess.killAll()
            logger.warning(
                "deliveries still running at stop, hooks killed, they will be repeated",
                ["hooks": killed, "grace_s": grace])
            _ = deliverer.stop(timeout: HookProcess.killGrace + 4)
        }
        logger.info(
            "stopped",
            ["recorded": recorder.recorded, "pruned": retention.pruned,
             "forgotten": retention.forgotten])
        return 0
    }

    private func prepareDeliveries() throws {
        let skipped = try store.skipUnconfigured(deliverer.targets)
        if skipped > 0 {
            logger.notice("deliveries skipped, target no longer configured", ["count": skipped])
        }
        let freed = try store.releaseStaleLeases(
            currentPID: Processes.current, isAlive: Processes.isAlive)
        if freed > 0 {
            logger.notice("deliveries of a stopped process taken over", ["count": freed])
        }
    }

    private func logStart() {
        let retention = configuration.retention
        logger.info(
            "started",
            ["spool": configuration.spool.root, "db": configuration.databasePath,
             "hook": configuration.hook?.argv[0] ?? "-",
             "webhook": configuration.webhook.map(WebhookSender.redacted) ?? "-",
             "keep_done": retention.keepDone.map { "\($0)s" } ?? "forever",
             "keep_failed": retention.keepFailed.map { "\($0)s" } ?? "forever",
             "keep_images": retention.keepImages,
             "keep_records": retention.keepRecords.map { "\($0)s" } ?? "forever"])
    }

    private func statusLine() -> String {
        let counts = (try? store.deliveryCounts()) ?? [:]
        return "recorded \(recorder.recorded), deliveries pending \(counts[.pending] ?? 0)"
            + " abandoned \(counts[.abandoned] ?? 0), pruned \(retention.pruned)"
    }
}
