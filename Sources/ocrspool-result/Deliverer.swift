import DaemonKit
import Foundation
import ResultStore

/// Delivers recorded results to the hook command and the webhook: leases due
/// deliveries from the database, runs at most `concurrency` at once, and writes
/// each outcome back (delivered, owed again after a backoff, or abandoned).
///
/// At least once: a delivery is marked only after its target acknowledged it,
/// so a crash in between repeats it. The JSON carries the job id, and the
/// `OCRSPOOL_JOB_ID` variable and `X-Ocrspool-Job` header repeat it, so a
/// target can ignore repeats. One failing job never holds up the others.
final class Deliverer: @unchecked Sendable {
    struct Settings: Sendable {
        var concurrency = 4
        var timeout = 30.0
        var attempts = 8
        var backoff = 2.0
        var maxBackoff = 600.0
        /// Seconds a stop waits for deliveries in flight before it kills the hooks
        /// still running; kept well inside the unit's `TimeoutStopSec` (30 s).
        var stopGrace = 15.0
    }

    private let store: ResultStore
    let hookCommand: HookCommand?
    let webhookSender: WebhookSender?
    private let settings: Settings
    let logger: Logger
    private let wakeSignal = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var inFlight = 0
    private var stopping = false
    private var thread: Thread?
    private let idle = DispatchGroup()

    /// Output beyond this is worth a warning even from a hook that succeeded.
    static let chattyOutput = 64 * 1024

    init(
        store: ResultStore, hook: HookCommand?, webhook: WebhookSender?, settings: Settings,
        logger: Logger
    ) {
        self.store = store
        self.hookCommand = hook
        self.webhookSender = webhook
        self.settings = settings
        self.logger = logger
    }

    /// The targets configured, in the order they are owed.
    var targets: [DeliveryTarget] {
        (hookCommand == nil ? [] : [.hook]) + (webhookSender == nil ? [] : [.webhook])
    }

    /// Seconds one attempt may take.
    var timeout: Double { settings.timeout }

    /// Deliveries running now.
    var running: Int { lock.withLock { inFlight } }

    func start() {
        guard !targets.isEmpty else { return }
        let thread = Thread { [self] in loop() }
        thread.name = "ocrspool.deliver"
        thread.start()
        self.thread = thread
    }

    /// Looks for due deliveries now instead of at the next poll.
    func wake() { wakeSignal.signal() }

    /// Stops leasing and waits up to `timeout` seconds for running deliveries.
    func stop(timeout: Double) -> Bool {
        lock.withLock { stopping = true }
        wake()
        return idle.wait(timeout: .now() + timeout) == .success
    }

    private func loop() {
        let owner = Processes.current
        let lease = settings.timeout + HookProcess.killGrace + 30
        while !lock.withLock({ stopping }) {
            let free = settings.concurrency - running
            if free > 0 {
                do {
                    let due = try store.leaseDue(targets, limit: free, owner: owner, lease: lease)
                    for delivery in due { dispatch(delivery) }
                } catch {
                    logger.warning("cannot lease deliveries", ["error": error])
                }
            }
            _ = wakeSignal.wait(timeout: .now() + 0.5)
        }
    }

    private func dispatch(_ delivery: Delivery) {
        lock.withLock { inFlight += 1 }
        idle.enter()
        DispatchQueue.global().async { [self] in
            deliver(delivery)
            lock.withLock { inFlight -= 1 }
            idle.leave()
            wake()
        }
    }

    /// Runs one attempt and writes its outcome.
    private func deliver(_ delivery: Delivery) {
        let failure: String?
        switch delivery.target {
        case .hook: failure = runHook(delivery)
        case .webhook: failure = postWebhook(delivery)
        }
        do {
            guard let failure else {
                try store.markDelivered(delivery)
                return
            }
            try settleFailure(delivery, failure)
        } catch {
            // The lease runs out and the delivery is repeated: at least once.
            logger.warning(
                "cannot save delivery outcome",
                ["job": delivery.jobID, "target": delivery.target.rawValue, "error": error])
        }
    }

    private func settleFailure(_ delivery: Delivery, _ failure: String) throws {
        let fields = ["job": delivery.jobID, "target": delivery.target.rawValue]
        guard delivery.attempt < settings.attempts else {
            try store.markFailed(delivery, error: failure, retryAt: nil)
            logger.error(
                "delivery abandoned, record kept",
                ["job": fields["job"]!, "target": fields["target"]!,
                 "attempts": delivery.attempt, "error": failure])
            return
        }
        let base = settings.backoff * pow(2, Double(delivery.attempt - 1))
        let delay = min(base, settings.maxBackoff) * Double.random(in: 0.8...1.2)
        try store.markFailed(delivery, error: failure, retryAt: Date().addingTimeInterval(delay))
        logger.warning(
            "delivery failed, will retry",
            ["job": fields["job"]!, "target": fields["target"]!, "attempt": delivery.attempt,
             "retry_in_s": String(format: "%.1f", delay), "error": failure])
    }
}
