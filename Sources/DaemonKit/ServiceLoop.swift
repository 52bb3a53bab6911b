import Foundation
import Synchronization

/// The main loop every ocrspool daemon runs once it serves.
///
/// It turns SIGTERM/SIGINT into a graceful stop, calls `tick` on the main thread
/// every `interval` seconds (the daemon checks its health and returns a status
/// line), and sends systemd `WATCHDOG=1` only after a tick returns, so a wedged
/// main loop stops the heartbeat and gets the daemon restarted. A daemon whose
/// work runs on other threads says through `stalled` when that work has stopped
/// moving, and the heartbeat stops for it too.
public final class ServiceLoop: Sendable {
    private let stopRequested = Atomic<Bool>(false)
    private let stopSignal = DispatchSemaphore(value: 0)
    public let notifier: ServiceNotifier
    private let logger: Logger

    public init(logger: Logger, notifier: ServiceNotifier = ServiceNotifier()) {
        self.logger = logger
        self.notifier = notifier
    }

    /// True once a stop was requested.
    public var isStopping: Bool { stopRequested.load(ordering: .acquiring) }

    /// Asks the loop to return, as SIGTERM does.
    public func requestStop() {
        if !stopRequested.exchange(true, ordering: .acquiringAndReleasing) { stopSignal.signal() }
    }

    /// Sends `READY=1`, then ticks until a stop is requested; sends `STOPPING=1`
    /// and returns so the caller can wind down.
    ///
    /// - Parameters:
    ///   - status: the first status line, sent with `READY=1`.
    ///   - interval: seconds between ticks; shortened to the watchdog's need.
    ///   - stalled: called after each tick; a reason when the daemon's work has
    ///     stopped moving (a worker stuck in one job), which withholds
    ///     `WATCHDOG=1` so that systemd restarts the daemon; nil when all is well.
    ///   - tick: returns the current status line.
    public func run(
        status: String, interval: Double = 2, stalled: () -> String? = { nil },
        tick: () -> String
    ) {
        let signals = SignalWatcher { [self] number in
            logger.info("stop requested", ["signal": number])
            requestStop()
        }
        notifier.ready(status: status)
        let period = min(interval, notifier.watchdogInterval ?? interval)
        var stallReported = false
        while !isStopping {
            if stopSignal.wait(timeout: .now() + period) == .success { break }
            notifier.status(tick())
            if let reason = stalled() {
                if !stallReported {
                    logger.warning("work stalled, watchdog withheld", ["reason": reason])
                    stallReported = true
                }
                continue
            }
            if stallReported {
                logger.notice("work moving again, watchdog resumed")
                stallReported = false
            }
            notifier.watchdog()
        }
        notifier.stopping()
        withExtendedLifetime(signals) {}
    }
}
