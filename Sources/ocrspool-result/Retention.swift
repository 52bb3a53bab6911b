import DaemonKit
import Foundation
import ResultStore
import SpoolKit

/// Prunes finished jobs from the spool once they are old enough, recorded at
/// the revision the spool holds, and no delivery of them is still owed.
///
/// The check reads the result file that is about to go and asks the database
/// about exactly that revision, so a job retried and finished again since it
/// was recorded stays until its new result is recorded and delivered too.
final class Retention: @unchecked Sendable {
    struct Settings: Sendable {
        var keepDone: Double?
        var keepFailed: Double?
        var keepImages = false
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
    private var stopping = false

    init(spool: Spool, store: ResultStore, settings: Settings, logger: Logger) {
        self.spool = spool
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Jobs pruned since start.
    var pruned: Int { counter.withLock { prunedCount } }

    /// The queues to prune and how old their jobs must be.
    private var rules: [(Queue, Double)] {
        [(Queue.done, settings.keepDone), (.failed, settings.keepFailed)].compactMap { rule in
            rule.1.map { (rule.0, $0) }
        }
    }

    func start() {
        guard !rules.isEmpty else { return }
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

    /// One pass over both queues.
    private func pass() {
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
        logger.info(
            "pruned",
            ["job": name.string, "queue": queue.rawValue, "age_s": Int(age),
             "image": settings.keepImages ? "kept" : "removed"])
    }
}
