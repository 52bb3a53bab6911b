#if canImport(Glibc)
import Glibc
#endif
import CInotifyTools
import DaemonKit
import Foundation

/// Reports the entries of one queue that are ready to be acted on.
///
/// inotify is the fast path: in `incoming/` a file is ready when its writer closes
/// it (`IN_CLOSE_WRITE`) or it is renamed in (`IN_MOVED_TO`); in `done/` and
/// `failed/` when a result file is renamed in; in `processing/` when a file its
/// owner held read-write is closed (the owner finished or died). It is never the
/// only path: a scan at start, a periodic rescan and a rescan after
/// `IN_Q_OVERFLOW` catch what events miss, and polling mode scans only.
///
/// A scan reports a regular file only once its size and change time have held
/// still for `settle` seconds, so a file still being copied is not read half-way.
/// The same entry may be reported more than once: consumers treat reports as
/// hints (a claim that finds nothing is normal).
public final class SpoolWatcher: @unchecked Sendable {
    /// How the watcher finds entries.
    public struct Settings: Sendable {
        /// Scan only, every `pollInterval`: for file systems where inotify is silent.
        public var polling = false
        /// Seconds between rescans when inotify is used.
        public var rescanInterval = 30.0
        /// Seconds between scans in polling mode.
        public var pollInterval = 0.5
        /// Seconds a scanned file must hold still before it is reported.
        public var settle = 1.0

        public init(
            polling: Bool = false, rescanInterval: Double = 30, pollInterval: Double = 0.5,
            settle: Double = 1
        ) {
            self.polling = polling
            self.rescanInterval = rescanInterval
            self.pollInterval = pollInterval
            self.settle = settle
        }
    }

    public let queue: Queue
    private let spool: Spool
    private let settings: Settings
    private let logger: Logger?
    private let onReady: @Sendable ([String]) -> Void
    private let serial: DispatchQueue
    private var timer: (any DispatchSourceTimer)?
    private var token: InotifyHub.Token?
    private var recheckPending = false
    private var stopped = false

    /// - Parameters:
    ///   - onReady: called on the watcher's own serial queue with entry names.
    public init(
        spool: Spool, queue: Queue, settings: Settings = Settings(), logger: Logger? = nil,
        onReady: @escaping @Sendable ([String]) -> Void
    ) {
        precondition(queue != .tmp && queue != .meta, "only job queues are watched")
        self.spool = spool
        self.queue = queue
        self.settings = settings
        self.logger = logger
        self.onReady = onReady
        self.serial = DispatchQueue(label: "ocrspool.watch.\(queue.rawValue)")
    }

    deinit {
        if let token, let hub = try? InotifyHub.shared() { hub.unwatch(token) }
    }

    /// Subscribes to events (unless polling), then scans once and starts the timer.
    public func start() throws {
        if !settings.polling {
            let hub = try InotifyHub.shared()
            token = try hub.watch(spool.directory(queue), mask: eventMask) { [weak self] event in
                self?.deliver(event)
            }
        }
        serial.sync { scan() }

        let interval = settings.polling ? settings.pollInterval : settings.rescanInterval
        let timer = DispatchSource.makeTimerSource(queue: serial)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        timer.setEventHandler { [weak self] in self?.scan() }
        timer.resume()
        self.timer = timer
    }

    /// Stops events and scans; no report is made after this returns.
    public func stop() {
        if let token, let hub = try? InotifyHub.shared() { hub.unwatch(token) }
        token = nil
        serial.sync {
            stopped = true
            timer?.cancel()
            timer = nil
        }
    }

    /// Scans now, on the watcher's queue.
    public func rescan() {
        serial.async { self.scan() }
    }

    private var eventMask: UInt32 {
        switch queue {
        case .incoming: UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)
        case .processing: UInt32(IN_CLOSE_WRITE)
        default: UInt32(IN_MOVED_TO | IN_CLOSE_WRITE)
        }
    }

    /// Handles `event` as if inotify had sent it: what tests use to simulate an overflow.
    func deliver(_ event: InotifyEvent) {
        serial.async { self.handle(event) }
    }

    private func handle(_ event: InotifyEvent) {
        guard !stopped else { return }
        if event.isOverflow {
            logger?.warning("inotify queue overflowed, rescanning", ["queue": queue.rawValue])
            scan()
            return
        }
        guard !event.name.isEmpty, !JobName.isInProgress(event.name) else { return }
        // A name that is not UTF-8 cannot be opened as reported; the scan renames it.
        if event.name.contains("\u{FFFD}") {
            scan()
            return
        }
        let created = event.mask & UInt32(IN_CREATE) != 0
        if created {
            // A new regular file is reported when closed; anything else (a symlink,
            // FIFO or directory) never closes after writing, so report it now.
            let path = "\(spool.directory(queue))/\(event.name)"
            guard let info = try? FileSystem.lstat(path), !info.isRegularFile else { return }
        }
        if queue.holdsResults && !event.name.hasSuffix(".json") { return }
        onReady([event.name])
    }

    private func scan() {
        guard !stopped, queue != .processing else { return }
        let names: [String]
        do {
            if queue == .incoming { _ = try spool.renameUndecodableEntries() }
            names = try FileSystem.list(spool.directory(queue))
        } catch {
            logger?.warning("scan failed", ["queue": queue.rawValue, "error": error])
            return
        }
        let now = Date().timeIntervalSince1970
        var ready: [String] = []
        var unsettled = false
        for name in names where !JobName.isInProgress(name) {
            if queue.holdsResults {
                if name.hasSuffix(".json") { ready.append(name) }
                continue
            }
            guard let info = try? FileSystem.lstat("\(spool.directory(queue))/\(name)") else {
                continue
            }
            let changed = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
            if !info.isRegularFile || now - max(changed, info.modificationTime) >= settings.settle {
                ready.append(name)
            } else {
                unsettled = true
            }
        }
        if !ready.isEmpty { onReady(ready) }
        if unsettled { scheduleRecheck() }
    }

    /// Looks again once a file seen still changing has had time to settle.
    private func scheduleRecheck() {
        guard !recheckPending else { return }
        recheckPending = true
        serial.asyncAfter(deadline: .now() + settings.settle) { [weak self] in
            self?.recheckPending = false
            self?.scan()
        }
    }
}
