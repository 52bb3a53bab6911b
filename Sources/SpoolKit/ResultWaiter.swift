import DaemonKit
import Foundation

/// Waits for jobs to finish, woken by the `done/` and `failed/` watchers rather
/// than by polling: what a long-poll or `submit --wait` needs.
public final class ResultWaiter: @unchecked Sendable {
    private let spool: Spool
    private let lock = NSLock()
    private var waiting: [String: [DispatchSemaphore]] = [:]
    private var watchers: [SpoolWatcher] = []

    /// Starts watching `done/` and `failed/` of `spool`.
    public init(spool: Spool, settings: SpoolWatcher.Settings = SpoolWatcher.Settings(settle: 0))
        throws
    {
        self.spool = spool
        for queue in [Queue.done, .failed] {
            let watcher = SpoolWatcher(spool: spool, queue: queue, settings: settings) {
                [weak self] entries in self?.wake(entries)
            }
            try watcher.start()
            watchers.append(watcher)
        }
    }

    deinit {
        for watcher in watchers { watcher.stop() }
    }

    /// The job's result once it is finished, or nil if `timeout` seconds pass first.
    public func wait(for name: JobName, timeout: Double) -> JobResult? {
        let semaphore = DispatchSemaphore(value: 0)
        lock.lock()
        waiting[name.string, default: []].append(semaphore)
        lock.unlock()
        defer {
            lock.lock()
            waiting[name.string]?.removeAll { $0 === semaphore }
            if waiting[name.string]?.isEmpty == true { waiting[name.string] = nil }
            lock.unlock()
        }

        let deadline = DispatchTime.now() + timeout
        while true {
            if let result = spool.result(of: name) { return result }
            if semaphore.wait(timeout: deadline) == .timedOut { return spool.result(of: name) }
        }
    }

    private func wake(_ entries: [String]) {
        lock.lock()
        let semaphores = entries.flatMap { entry in
            entry.hasSuffix(".json") ? waiting[String(entry.dropLast(5))] ?? [] : []
        }
        lock.unlock()
        for semaphore in semaphores { semaphore.signal() }
    }
}
