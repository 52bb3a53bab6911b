import DaemonKit
import Foundation
import HTTPKit
import SpoolKit
import Synchronization

/// Requests parked until a job's result lands in `done/` or `failed/`.
///
/// Two `SpoolWatcher`s (inotify, with scans as the safety net) report result
/// files; each report wakes the requests waiting for that job. Nothing polls.
final class ResultWaiters: Sendable {
    /// A registration, to be cancelled when the request ends.
    struct Ticket: Sendable {
        let name: JobName
        let id: UInt64
    }

    private let waiting = Mutex<[JobName: [UInt64: HTTPWaker]]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let watchers = Mutex<[SpoolWatcher]>([])

    /// Starts watching `done/` and `failed/`.
    func start(spool: Spool, settings: SpoolWatcher.Settings, logger: Logger) throws {
        for queue in [Queue.done, .failed] {
            let watcher = SpoolWatcher(
                spool: spool, queue: queue, settings: settings, logger: logger
            ) { [weak self] entries in
                self?.landed(entries)
            }
            try watcher.start()
            watchers.withLock { $0.append(watcher) }
        }
    }

    func stop() {
        for watcher in watchers.withLock({ $0 }) { watcher.stop() }
    }

    /// Wakes `waker` when `name`'s result lands, or after `timeout` seconds.
    func add(_ name: JobName, _ waker: HTTPWaker, timeout: Double) -> Ticket {
        let id = nextID.add(1, ordering: .relaxed).newValue
        waiting.withLock { $0[name, default: [:]][id] = waker }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { waker.wake() }
        return Ticket(name: name, id: id)
    }

    func remove(_ ticket: Ticket) {
        waiting.withLock { waiting in
            waiting[ticket.name]?[ticket.id] = nil
            if waiting[ticket.name]?.isEmpty == true { waiting[ticket.name] = nil }
        }
    }

    /// How many requests are parked.
    var count: Int { waiting.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Result files `NAME.json` were reported: wake whoever waits for them.
    private func landed(_ entries: [String]) {
        let names = entries.compactMap { entry -> JobName? in
            entry.hasSuffix(".json") ? JobName(String(entry.dropLast(5))) : nil
        }
        let wakers = waiting.withLock { waiting in
            names.flatMap { waiting.removeValue(forKey: $0)?.values.map { $0 } ?? [] }
        }
        for waker in wakers { waker.wake() }
    }
}
