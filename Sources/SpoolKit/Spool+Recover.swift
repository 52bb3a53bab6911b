#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

/// What a recovery pass did.
public struct RecoveryReport: Sendable, Equatable {
    /// Orphans whose owner died, put back into `incoming/`.
    public var returned: [String] = []
    /// Orphans whose result was already written, moved beside it.
    public var completed: [String] = []
    /// Orphans that killed too many workers, moved to `failed/`.
    public var failed: [String] = []
    /// Stale files removed from `tmp/` and `meta/`, and stale result files.
    public var removed: [String] = []
    /// Failed jobs whose retry was interrupted, put back into `incoming/`.
    public var retried: [String] = []
    /// Orphans recovery could not handle this time, each with its error; the
    /// pass went on with the others, and the next pass tries them again.
    public var problems: [(entry: String, error: any Error)] = []

    public init() {}

    public var isEmpty: Bool {
        returned.isEmpty && completed.isEmpty && failed.isEmpty && removed.isEmpty
            && retried.isEmpty && problems.isEmpty
    }

    public static func == (left: RecoveryReport, right: RecoveryReport) -> Bool {
        left.returned == right.returned && left.completed == right.completed
            && left.failed == right.failed && left.removed == right.removed
            && left.retried == right.retried
            && left.problems.map(\.entry) == right.problems.map(\.entry)
    }
}

/// What recovery did with one entry of `processing/`.
public enum OrphanOutcome: Sendable, Equatable {
    /// Its owner is alive, or it is gone.
    case owned
    case returned
    case completed
    case failed
}

extension Spool {
    /// Finishes or undoes whatever dead owners and crashed writers left behind.
    ///
    /// Safe to run at any time from any number of processes: a job whose owner
    /// lives is locked and left alone. Run it at start-up and periodically.
    ///
    /// - Parameters:
    ///   - maxAttempts: how many workers a job may kill before it is failed.
    ///   - staleAfter: age in seconds after which a staged file is abandoned.
    public func recover(maxAttempts: Int, staleAfter: Double = 3600) throws -> RecoveryReport {
        var report = RecoveryReport()
        let processing = try FileSystem.list(directory(.processing))
        for entry in processing where JobName.isSafeFileName(entry) {
            // One entry that cannot be handled must not hold up the others.
            do {
                switch try recoverOrphan(entry, maxAttempts: maxAttempts) {
                case .owned: break
                case .returned: report.returned.append(entry)
                case .completed: report.completed.append(entry)
                case .failed: report.failed.append(entry)
                }
            } catch {
                report.problems.append((entry, error))
            }
        }
        report.retried += try requeueInterruptedRetries()
        report.removed += try removeStale(.tmp, olderThan: staleAfter) { _ in true }
        report.removed += try removeStale(.meta, olderThan: staleAfter) { entry in
            guard let name = JobName(String(entry.dropLast(5))) else { return true }
            return !Queue.jobQueues.contains { FileSystem.exists(path($0, name)) }
        }
        report.removed += try removeStaleResults()
        return report
    }

    /// Takes back `processing/entry` if its owner is dead.
    ///
    /// A job whose result is written is moved beside it; one that has now killed
    /// `maxAttempts` workers goes to `failed/` as `worker_crashed`; any other goes
    /// back to `incoming/` with its crash counted.
    public func recoverOrphan(_ entry: String, maxAttempts: Int) throws -> OrphanOutcome {
        guard JobName.isSafeFileName(entry), !JobName.isInProgress(entry) else { return .owned }
        let source = listedPath(.processing, entry)
        let fd: Int32
        do {
            fd = try FileSystem.openForReading(source)
        } catch let error as SystemError where error.isNotFound {
            return .owned
        }
        defer { FileSystem.close(fd) }
        guard try FileSystem.tryLock(fd, path: source) else { return .owned }

        // The owner may have moved the job on between our open and our lock.
        let locked = try FileSystem.fstat(fd, path: source)
        guard let current = try? FileSystem.lstat(source), current.st_ino == locked.st_ino else {
            return .owned
        }
        guard let name = JobName(entry) else {
            try FileSystem.renameNoReplace(source, listedPath(.incoming, entry))
            return .returned
        }

        for queue in [Queue.done, .failed] where FileSystem.exists(resultPath(queue, name)) {
            guard FileSystem.exists(path(queue, name)) else {
                try FileSystem.renameNoReplace(source, path(queue, name))
                _ = Glibc.unlink(resultPath(.meta, name))
                return .completed
            }
            // The finished job is whole already: this is a second file under its
            // name (left by an older version), so it goes back as a job of its own.
            try FileSystem.renameNoReplace(
                source, path(.incoming, JobName.fresh(tail: dropTail(name))))
            return .returned
        }

        var meta = self.meta(
            of: name, fallbackDate: Date(timeIntervalSince1970: locked.modificationTime))
        meta.crashes += 1
        if meta.crashes >= maxAttempts {
            let result = JobResult.failure(
                name, meta: meta, code: "worker_crashed",
                message: "the worker died \(meta.crashes) times while reading this image",
                attempts: meta.crashes)
            try writeResult(result, queue: .failed, name: name)
            try FileSystem.renameNoReplace(source, path(.failed, name))
            _ = Glibc.unlink(resultPath(.meta, name))
            return .failed
        }
        try writeMeta(meta, for: name)
        try FileSystem.renameNoReplace(source, path(.incoming, name))
        return .returned
    }

    /// Removes entries of `queue` older than `age` seconds for which `isStale` holds.
    private func removeStale(
        _ queue: Queue, olderThan age: Double, where isStale: (String) -> Bool
    ) throws -> [String] {
        let now = Date().timeIntervalSince1970
        var removed: [String] = []
        let entries = try FileSystem.list(directory(queue))
        for entry in entries where JobName.isSafeFileName(entry) || queue == .tmp {
            guard entry != "." && entry != ".." && !entry.contains("/") else { continue }
            let path = "\(directory(queue))/\(entry)"
            guard let info = try? FileSystem.lstat(path), info.isRegularFile,
                now - info.modificationTime > age, isStale(entry)
            else { continue }
            if (try? FileSystem.unlink(path)) != nil {
                removed.append("\(queue.rawValue)/\(entry)")
            }
        }
        return removed
    }

    /// Removes result files left in `failed/` by a retry of an older version that
    /// crashed after moving the image back to `incoming/`.
    ///
    /// A result beside an image in `processing/` is left alone: it is the commit
    /// record of a worker finishing that job right now, or of one that died,
    /// which `recoverOrphan` completes.
    private func removeStaleResults() throws -> [String] {
        var removed: [String] = []
        for entry in try FileSystem.list(directory(.failed)) where entry.hasSuffix(".json") {
            guard let name = JobName(String(entry.dropLast(5))) else { continue }
            guard FileSystem.exists(path(.incoming, name)), !FileSystem.exists(path(.failed, name))
            else { continue }
            if (try? FileSystem.unlink(resultPath(.failed, name))) != nil {
                removed.append("failed/\(entry)")
            }
        }
        return removed
    }

    /// Moves back to `incoming/` the images a retry left in `failed/` when it died
    /// between removing their result and moving them: an image in `failed/` with
    /// its meta written and no result. (An image kept by retention has no meta.)
    private func requeueInterruptedRetries() throws -> [String] {
        var requeued: [String] = []
        for entry in try FileSystem.list(directory(.failed)) where !entry.hasSuffix(".json") {
            guard let name = JobName(entry),
                !FileSystem.exists(resultPath(.failed, name)),
                FileSystem.exists(resultPath(.meta, name))
            else { continue }
            do {
                try FileSystem.renameNoReplace(path(.failed, name), path(.incoming, name))
                requeued.append(entry)
            } catch let error as SystemError where error.isNotFound || error.isAlreadyExists {
                continue
            }
        }
        return requeued
    }
}
