import DaemonKit
import Foundation
import ResultStore
import SpoolKit

/// Prunes finished jobs from the spool once they are old enough, recorded at
/// the revision the spool holds, and no delivery of them is still owed; with
/// `keepRecords`, also deletes database rows of jobs it pruned long enough ago.
///
/// The check reads the result file that is about to go and asks the database
/// about exactly that revision, so a job retried and finished again since it
/// was recorded stays until its new result is recorded and delivered too.
final class Retention: @unchecked Sendable {
    struct Settings: Sendable {
        var keepDone: Double?
        var keepFailed: Double?
        var keepImages = false
        /// How long a record outlives its job's finish; nil keeps records forever.
        var keepRecords: Double?
        var interval = 60.0
    }

    private let spool: Spool
    private let store: ResultStore
    private let settings: Settings
    private let logger: Logger
    private let serial = DispatchQueue(label: "ocrspool.retention")
    private var timer: (any DispatchSourceTimer)?
    private let counter = NSLock()
    private var prunedCount = 0
    private var forgottenCount = 0
    private var stopping = false

    init(spool: Spool, store: ResultStore, settings: Settings, logger: Logger) {
        self.spool = spool
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Jobs pruned since start.
    var pruned: Int { counter.withLock { prunedCount } }

    /// Records deleted from the database since start.
    var forgotten: Int { counter.withLock { forgottenCount } }

    /// The queues to prune and how old their jobs must be.
    private var rules: [(Queue, Double)] {
        [(Queue.done, settings.keepDone), (.failed, settings.keepFailed)].compactMap { rule in
            rule.1.map { (rule.0, $0) }
        }
    }

    func start() {
        guard !rules.isEmpty || settings.keepRecords != nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: serial)
        timer.schedule(
            deadline: .now() + settings.interval, repeating: settings.interval,
            leeway: .milliseconds(100))
        timer.setEventHandler { [weak self] in self?.pass() }
        timer.resume()
        self.timer = timer
    }

    /// Stops the timer; a pass under way ends at its next job.
    func stop() {
        counter.withLock { stopping = true }
        serial.sync {
            timer?.cancel()
            timer = nil
        }
    }

    /// One pass over both queues, then over the database's old records.
    private func pass() {
        pruneQueues()
        if let keep = settings.keepRecords { forgetRecords(olderThan: keep) }
    }

    private func pruneQueues() {
        for (queue, keep) in rules {
            let names: [JobName]
            do {
                names = try spool.results(in: queue)
            } catch {
                logger.warning(
                    "cannot list for pruning", ["queue": queue.rawValue, "error": error])
                continue
            }
            for name in names {
                guard !counter.withLock({ stopping }) else { return }
                prune(name, from: queue, olderThan: keep)
            }
        }
    }

    private func prune(_ name: JobName, from queue: Queue, olderThan keep: Double) {
        guard let age = spool.resultAge(name), age >= keep,
            let data = FileManager.default.contents(atPath: spool.resultPath(queue, name)),
            let entry = ResultEntry(data: data), entry.result.id == name.string
        else { return }
        do {
            guard try store.isSettled(entry.result) else { return }
            guard try spool.pruneFinished(name, from: queue, keepImage: settings.keepImages)
            else { return }
        } catch {
            logger.warning("cannot prune", ["job": name.string, "error": error])
            return
        }
        counter.withLock { prunedCount += 1 }
        // After the prune, never before: a mark on a job still in the spool would
        // let its record go and the recorder record it again. Without the mark
        // the record is only kept longer.
        do {
            try store.markPruned(entry.result)
        } catch {
            logger.warning("cannot mark record pruned", ["job": name.string, "error": error])
        }
        logger.info(
            "pruned",
            ["job": name.string, "queue": queue.rawValue, "age_s": Int(age),
             "image": settings.keepImages ? "kept" : "removed"])
    }

    /// Deletes records older than `keep` in batches, so that one pass never
    /// holds the database's write lock for long.
    private func forgetRecords(olderThan keep: Double) {
        let cutoff = Date().addingTimeInterval(-keep)
        while !counter.withLock({ stopping }) {
            let forgotten: Int
            do {
                forgotten = try store.forgetRecords(finishedBefore: cutoff, limit: 500)
            } catch {
                logger.warning("cannot forget old records", ["error": error])
                return
            }
            counter.withLock { forgottenCount += forgotten }
            if forgotten > 0 { logger.info("records forgotten", ["count": forgotten]) }
            if forgotten < 500 { return }
        }
    }
}
