import DaemonKit
import Foundation
import ResultStore
import SpoolKit

/// Records every result file that appears in `done/` and `failed/`.
///
/// The watchers report names (inotify, a scan at start, periodic rescans); the
/// recorder reads each result file and records a batch in one transaction.
/// Reports are hints: a name reported twice is recorded once (the store's
/// upsert is idempotent), a file gone meanwhile (pruned, retried) is skipped.
/// A batch the database refuses is put back and tried again, so nothing that
/// reached the spool is missed while the daemon runs, and the start-up scan
/// catches whatever arrived while it did not.
final class Recorder: @unchecked Sendable {
    private let spool: Spool
    private let store: ResultStore
    private let targets: [DeliveryTarget]
    private let logger: Logger
    private let onRecorded: @Sendable () -> Void
    private let serial = DispatchQueue(label: "ocrspool.record")
    private var watchers: [SpoolWatcher] = []
    private var pending: [(queue: Queue, name: JobName)] = []
    private var pendingKeys: Set<String> = []
    private var flushScheduled = false
    private var stopped = false
    /// Result files recorded, by `queue/name`, with the identity they had.
    private var seen: [String: FileIdentity] = [:]
    private let counter = NSLock()
    private var recordedCount = 0

    /// Names recorded per transaction at most.
    static let batchLimit = 256
    /// Result files remembered as recorded at most.
    static let seenLimit = 200_000

    init(
        spool: Spool, store: ResultStore, targets: [DeliveryTarget], logger: Logger,
        onRecorded: @escaping @Sendable () -> Void
    ) {
        self.spool = spool
        self.store = store
        self.targets = targets
        self.logger = logger
        self.onRecorded = onRecorded
    }

    /// Results recorded (inserted or replaced) since start.
    var recorded: Int { counter.withLock { recordedCount } }

    /// Starts watching both queues; each watcher scans once at start.
    func start(settings: SpoolWatcher.Settings) throws {
        for queue in [Queue.done, .failed] {
            let watcher = SpoolWatcher(
                spool: spool, queue: queue, settings: settings, logger: logger
            ) { [weak self] entries in
                self?.enqueue(entries, from: queue)
            }
            watchers.append(watcher)
            try watcher.start()
        }
    }

    /// Stops the watchers, then records what was already reported.
    func stop() {
        for watcher in watchers { watcher.stop() }
        serial.sync {
            while !pending.isEmpty && flushOnce() {}
            stopped = true
        }
    }

    private func enqueue(_ entries: [String], from queue: Queue) {
        let names = entries.compactMap { entry -> JobName? in
            guard entry.hasSuffix(".json") else { return nil }
            return JobName(String(entry.dropLast(5)))
        }
        serial.async { [self] in
            guard !stopped else { return }
            for name in names where pendingKeys.insert(key(queue, name)).inserted {
                pending.append((queue, name))
            }
            scheduleFlush(after: 0)
        }
    }

    private func scheduleFlush(after delay: Double) {
        guard !flushScheduled, !pending.isEmpty else { return }
        flushScheduled = true
        serial.asyncAfter(deadline: .now() + delay) { [self] in
            flushScheduled = false
            guard !stopped else { return }
            // A refused batch waits a second before the next try.
            scheduleFlush(after: flushOnce() ? 0 : 1)
        }
    }

    /// Records up to `batchLimit` pending names; false when the database refused.
    private func flushOnce() -> Bool {
        let batch = Array(pending.prefix(Recorder.batchLimit))
        var entries: [ResultEntry] = []
        var identities: [(String, FileIdentity)] = []
        for (queue, name) in batch {
            let path = spool.resultPath(queue, name)
            guard let identity = FileIdentity(path: path), seen[key(queue, name)] != identity,
                let entry = read(path, name: name)
            else { continue }
            entries.append(entry)
            identities.append((key(queue, name), identity))
        }

        let outcomes: [RecordOutcome]
        do {
            outcomes = try store.record(entries, owing: targets)
        } catch {
            logger.warning("cannot record results, retrying", ["count": entries.count,
                                                               "error": error])
            return false
        }
        pending.removeFirst(batch.count)
        for (queue, name) in batch { pendingKeys.remove(key(queue, name)) }
        // Bounded memory: forgetting only costs a re-read and an unchanged upsert.
        if seen.count > Recorder.seenLimit { seen.removeAll() }
        for (key, identity) in identities { seen[key] = identity }
        report(entries, outcomes)
        return true
    }

    private func report(_ entries: [ResultEntry], _ outcomes: [RecordOutcome]) {
        var changed = 0
        for (entry, outcome) in zip(entries, outcomes) where outcome != .unchanged {
            changed += 1
            let result = entry.result
            logger.info(
                outcome == .inserted ? "recorded" : "recorded again",
                ["job": result.id, "status": result.status.rawValue,
                 "digits": result.digits, "verified": result.verified.map(String.init) ?? "-",
                 "error": result.error?.code ?? "-"])
        }
        guard changed > 0 else { return }
        counter.withLock { recordedCount += changed }
        onRecorded()
    }

    /// Reads and checks one result file; nil (with a warning) when it is unusable.
    private func read(_ path: String, name: JobName) -> ResultEntry? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let entry = ResultEntry(data: data) else {
            logger.warning("unreadable result file", ["job": name.string, "path": path])
            return nil
        }
        guard entry.result.id == name.string else {
            logger.warning(
                "result file names another job",
                ["job": name.string, "id": entry.result.id, "path": path])
            return nil
        }
        return entry
    }

    private func key(_ queue: Queue, _ name: JobName) -> String {
        "\(queue.rawValue)/\(name.string)"
    }
}

/// A file's inode and modification time: a result file rewritten by a retry
/// gets a new one, a rescan of the same file finds the same.
struct FileIdentity: Equatable, Sendable {
    let inode: UInt64
    let modified: Date

    init?(path: String) {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value,
            let modified = attributes[.modificationDate] as? Date
        else { return nil }
        self.inode = inode
        self.modified = modified
    }
}
