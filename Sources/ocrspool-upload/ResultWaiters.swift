import DaemonKit
import Foundation
import HTTPKit
import SpoolKit
import Synchronization

/// Requests parked until a job's result lands in `done/` or `failed/`.
///
/// Two `SpoolWatcher`s (inotify, with scans as the safety net) report result
/// files; each report wakes the requests waiting for that job. In polling mode
/// (no inotify) a timer looks up only the jobs someone waits for, so that a
/// spool keeping many results costs no directory listing per tick.
final class ResultWaiters: Sendable {
    /// A registration, to be cancelled when the request ends.
    struct Ticket: Sendable {
        let name: JobName
        let id: UInt64
    }

    private let waiting = Mutex<[JobName: [UInt64: HTTPWaker]]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let watchers = Mutex<[SpoolWatcher]>([])
    private let polling = Atomic<Bool>(false)

    /// Starts watching `done/` and `failed/`, or polling for the awaited jobs.
    func start(spool: Spool, settings: SpoolWatcher.Settings, logger: Logger) throws {
        if settings.polling {
            polling.store(true, ordering: .relaxed)
            poll(spool, every: settings.pollInterval)
            return
        }
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
        polling.store(false, ordering: .relaxed)
    }

    /// Looks up the awaited jobs after `interval`, wakes those finished, and
    /// schedules the next look until `stop`.
    private func poll(_ spool: Spool, every interval: Double) {
        DispatchQueue.global().asyncAfter(deadline: .now() + interval) { [weak self] in
            guard let self, self.polling.load(ordering: .relaxed) else { return }
            let awaited = self.waiting.withLock { Array($0.keys) }
            self.wake(awaited.filter { spool.result(of: $0) != nil })
            self.poll(spool, every: interval)
        }
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
        wake(entries.compactMap { entry -> JobName? in
            entry.hasSuffix(".json") ? JobName(String(entry.dropLast(5))) : nil
        })
    }

    /// Wakes and forgets the requests waiting for `names`.
    private func wake(_ names: [JobName]) {
        let wakers = waiting.withLock { waiting in
            names.flatMap { waiting.removeValue(forKey: $0)?.values.map { $0 } ?? [] }
        }
        for waker in wakers { waker.wake() }
    }
}
