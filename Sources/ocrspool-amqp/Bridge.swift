import AMQPKit
import DaemonKit
import Foundation
import SpoolKit
import Synchronization

/// The bridge between one spool and one broker.
///
/// One thread (the bridge thread) owns the broker connection and all the state
/// below that is not in a `Mutex`; spool watchers only hand it job names. It
/// connects, declares its queues, and then loops: take in deliveries, confirms
/// and returns from the broker, publish what the watchers reported. When the
/// connection fails it reconnects with a doubling backoff (0.5 s to 30 s).
///
/// Guarantees: a message is acknowledged only once its job is durably in
/// `incoming/`; a result is marked published only once the broker confirmed it;
/// anything in flight when the connection drops is redone on the next one, so a
/// broker restart loses nothing and at worst duplicates (same ids).
final class Bridge: @unchecked Sendable {
    /// Channel numbers on the one connection.
    enum Channel {
        static let ingest: UInt16 = 1
        static let publish: UInt16 = 2
        static let replies: UInt16 = 3
    }

    /// A message published and not yet confirmed.
    enum Outgoing {
        case result(JobResult)
        case work(JobName)

        var id: String {
            switch self {
            case .result(let result): result.id
            case .work(let name): name.string
            }
        }
    }

    /// Running totals for the status line.
    struct Totals {
        var ingested = 0
        var published = 0
        var unroutable = 0
        var sentRemote = 0
        var finishedRemote = 0
        var reconnects = 0
    }

    let settings: BridgeSettings
    let spool: Spool
    let logger: Logger

    /// Job names the done/failed watchers reported; drained by the bridge thread.
    let finishedInbox = Mutex<[String]>([])
    /// Set when `incoming/` changed (remote mode).
    let incomingHint = Atomic<Bool>(true)
    let totals = Mutex(Totals())
    let connected = Atomic<Bool>(false)
    private let stopping = Atomic<Bool>(false)
    private let finishedThread = DispatchSemaphore(value: 0)

    // Bridge-thread state.
    var connection: AMQPConnection?
    var unconfirmed: [UInt64: Outgoing] = [:]
    var returnedIDs: Set<String> = []
    /// Results waiting to be published, by job id, in arrival order.
    var publishBacklog: [String] = []
    var publishQueued: Set<String> = []
    /// Result-file stamps of jobs found published or not to be published.
    var examined: [String: Double] = [:]
    /// Remote mode: jobs this bridge holds while another host reads them.
    var held: [JobName: Claim] = [:]
    /// When each held job was last sent to the work queue.
    var sentWork: [JobName: Date] = [:]
    var lastIncomingScan = Date.distantPast
    /// No new work is claimed before this: the work queue refused the last
    /// message (not routable), and retrying at once would spin.
    var workRefusedUntil = Date.distantPast
    /// Seconds to wait after the next refusal; doubles up to 30 s.
    var workRefusalBackoff = 1.0
    var lastMaintenance = Date()

    private var watchers: [SpoolWatcher] = []

    init(settings: BridgeSettings, spool: Spool, logger: Logger) {
        self.settings = settings
        self.spool = spool
        self.logger = logger
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Starts the watchers and the bridge thread.
    func start() throws {
        try spool.requireInitialised()
        try spool.createPublishedDirectory()
        if settings.remote {
            _ = try spool.recover(maxAttempts: settings.maxAttempts)
        }
        for queue in [Queue.done, .failed] {
            let watcher = SpoolWatcher(
                spool: spool, queue: queue, settings: settings.watch, logger: logger
            ) { [weak self] entries in
                self?.finishedInbox.withLock { $0.append(contentsOf: entries) }
            }
            watchers.append(watcher)
        }
        if settings.remote {
            watchers.append(SpoolWatcher(
                spool: spool, queue: .incoming, settings: settings.watch, logger: logger
            ) { [weak self] _ in
                self?.incomingHint.store(true, ordering: .releasing)
            })
        }
        for watcher in watchers { try watcher.start() }

        let thread = Thread { [self] in
            runConnections()
            finishedThread.signal()
        }
        thread.name = "amqp-bridge"
        thread.start()
    }

    /// Stops intake, waits for confirms up to the grace period, closes the
    /// connection and hands back held jobs; returns when all that is done.
    func stop() {
        stopping.store(true, ordering: .releasing)
        for watcher in watchers { watcher.stop() }
        finishedThread.wait()
    }

    /// The status line for systemd and logs.
    func status() -> String {
        let counts = totals.withLock { $0 }
        let state = connected.load(ordering: .acquiring) ? "connected" : "disconnected"
        var line = "\(state) ingested=\(counts.ingested) published=\(counts.published)"
        line += " unroutable=\(counts.unroutable) reconnects=\(counts.reconnects)"
        if settings.remote {
            line += " sent=\(counts.sentRemote) finished=\(counts.finishedRemote)"
        }
        return line
    }

    /// Connects, serves and reconnects until a stop is requested.
    ///
    /// The wait before reconnecting doubles from 0.5 s to 30 s, and starts over
    /// only after a connection that held for 30 s: one that breaks soon after it
    /// opens (a spool that cannot take a message, a cancelled consumer) must not
    /// reconnect twice a second for as long as the trouble lasts.
    private func runConnections() {
        var backoff = 0.5
        while !isStopping {
            var openedAt: ContinuousClock.Instant?
            do {
                let connection = try connect()
                self.connection = connection
                connected.store(true, ordering: .releasing)
                openedAt = .now
                try serve(connection)
                try windDown(connection)
                connection.close()
            } catch {
                if let openedAt, ContinuousClock.now - openedAt >= .seconds(30) { backoff = 0.5 }
                logger.warning("broker connection lost", [
                    "url": settings.url, "error": error, "retry_in": "\(backoff)s",
                ])
                totals.withLock { $0.reconnects += 1 }
            }
            connected.store(false, ordering: .releasing)
            connection = nil
            forgetUnconfirmed()
            if isStopping { break }
            sleepUnlessStopping(backoff)
            backoff = min(backoff * 2, 30)
        }
        releaseHeld()
    }

    /// Opens the connection, its channels and queues, and starts the consumers.
    private func connect() throws -> AMQPConnection {
        let connection = try AMQPConnection(
            url: settings.url, heartbeat: settings.heartbeat, tls: settings.tls)
        try connection.openChannel(Channel.publish)
        try connection.enableConfirms(channel: Channel.publish)
        try connection.declareQueue(settings.resultQueue, channel: Channel.publish)
        if settings.remote {
            try connection.declareQueue(settings.workQueue, channel: Channel.publish)
            try connection.openChannel(Channel.replies)
            try connection.declareQueue(settings.replyQueue, channel: Channel.replies)
            try connection.setPrefetch(settings.remoteInFlight * 2, channel: Channel.replies)
            try connection.consume(queue: settings.replyQueue, channel: Channel.replies)
        }
        if settings.ingest {
            try connection.openChannel(Channel.ingest)
            try connection.declareQueue(settings.ingestQueue, channel: Channel.ingest)
            try connection.setPrefetch(settings.prefetch, channel: Channel.ingest)
            try connection.consume(queue: settings.ingestQueue, channel: Channel.ingest)
        }
        logger.info("connected to broker", [
            "url": settings.url, "heartbeat": connection.heartbeat,
            "ingest": settings.ingest ? settings.ingestQueue : "off",
            "results": settings.resultQueue,
            "remote": settings.remote ? settings.workQueue : "off",
        ])
        return connection
    }

    /// The loop of one connection: returns when a stop is requested.
    private func serve(_ connection: AMQPConnection) throws {
        while !isStopping {
            let busy = try publishPending(connection)
            if settings.remote { try sendWork(connection) }
            maintain()
            if let event = try connection.nextEvent(timeout: busy ? 0 : 0.02) {
                try handle(event, connection)
            }
        }
    }

    private func handle(_ event: AMQPEvent, _ connection: AMQPConnection) throws {
        switch event {
        case .delivery(let delivery) where delivery.channel == Channel.replies:
            try receiveReply(delivery, connection)
        case .delivery(let delivery):
            try receive(delivery, connection)
        case .confirm(_, let sequence, let multiple, let ack):
            confirm(sequence, multiple: multiple, ack: ack)
        case .returned(let returned):
            if let id = returned.properties.messageID { returnedIDs.insert(id) }
            logger.warning("message unroutable", [
                "job": returned.properties.messageID ?? "-", "queue": returned.routingKey,
                "reply": "\(returned.replyCode) \(returned.replyText)",
            ])
        case .cancelled(_, let tag):
            throw AMQPError(.broker, "consume", message: "consumer \(tag) cancelled by broker")
        }
    }

    /// Waits for outstanding confirms until the grace period ends.
    private func windDown(_ connection: AMQPConnection) throws {
        let deadline = Date().addingTimeInterval(settings.stopGrace)
        while !unconfirmed.isEmpty && Date() < deadline {
            guard let event = try connection.nextEvent(timeout: 0.1) else { continue }
            switch event {
            case .delivery(let delivery):
                // Not taken in: the broker gives it to someone else.
                try connection.reject(
                    delivery.deliveryTag, requeue: true, channel: delivery.channel)
            default:
                try handle(event, connection)
            }
        }
    }

    /// Periodic upkeep: recovery of dead owners' jobs (remote mode) and stale markers.
    private func maintain() {
        guard Date().timeIntervalSince(lastMaintenance) > 30 else { return }
        lastMaintenance = Date()
        do {
            if settings.remote { _ = try spool.recover(maxAttempts: settings.maxAttempts) }
            try spool.prunePublishedMarkers()
            // Forget jobs pruned from the spool.
            examined = examined.filter { id, _ in JobName(id).flatMap(resultStamp) != nil }
        } catch {
            logger.warning("spool upkeep failed", ["error": error])
        }
    }

    private func sleepUnlessStopping(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !isStopping && Date() < deadline { usleep(50_000) }
    }
}
