#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

/// Where a job stands.
public enum JobState: Sendable, Equatable {
    case queued
    case processing
    case finished(JobResult)
    /// No queue holds it: never submitted, or pruned.
    case unknown

    /// `queued`, `processing`, `done`, `failed` or `unknown`.
    public var label: String {
        switch self {
        case .queued: "queued"
        case .processing: "processing"
        case .finished(let result): result.status.rawValue
        case .unknown: "unknown"
        }
    }
}

extension Spool {
    /// The job's state. Jobs move forward between checks, so results are looked
    /// at both first and last: a job finishing meanwhile is never `unknown`.
    public func state(of name: JobName) -> JobState {
        if let result = result(of: name) { return .finished(result) }
        if FileSystem.exists(path(.incoming, name)) { return .queued }
        if FileSystem.exists(path(.processing, name)) { return .processing }
        if let result = result(of: name) { return .finished(result) }
        if FileSystem.exists(path(.incoming, name)) { return .queued }
        return .unknown
    }

    /// The result of a finished job, if it is still in the spool.
    public func result(of name: JobName) -> JobResult? {
        for queue in [Queue.done, .failed] {
            guard let data = FileManager.default.contents(atPath: resultPath(queue, name)) else {
                continue
            }
            if let result = try? SpoolJSON.decoder().decode(JobResult.self, from: data) {
                return result
            }
        }
        return nil
    }

    /// The jobs in `queue`: image names, without result files and names in progress.
    public func jobs(in queue: Queue) throws -> [String] {
        try FileSystem.list(directory(queue)).filter { entry in
            !JobName.isInProgress(entry) && !(queue.holdsResults && entry.hasSuffix(".json"))
        }
    }

    /// The names of finished jobs whose result file is in `queue` (`done` or `failed`).
    public func results(in queue: Queue) throws -> [JobName] {
        try FileSystem.list(directory(queue)).compactMap { entry in
            entry.hasSuffix(".json") ? JobName(String(entry.dropLast(5))) : nil
        }
    }

    /// How many jobs each queue holds.
    public func depths() throws -> [Queue: Int] {
        var depths: [Queue: Int] = [:]
        for queue in Queue.jobQueues {
            depths[queue] = queue.holdsResults
                ? try results(in: queue).count : try jobs(in: queue).count
        }
        return depths
    }

    /// Puts a failed job back into `incoming/` under the same name, its crash count reset.
    ///
    /// - Returns: false when the job is not in `failed/`.
    public func retry(_ name: JobName) throws -> Bool {
        guard let result = result(of: name), result.status == .failed,
            FileSystem.exists(path(.failed, name))
        else { return false }
        var meta = self.meta(of: name, fallbackDate: result.submittedAt)
        meta.crashes = 0
        meta.source = result.source
        meta.expected = result.expected
        meta.mode = result.mode
        meta.originalName = result.originalName
        meta.messageID = result.messageID
        meta.correlationID = result.correlationID
        meta.replyTo = result.replyTo
        try writeMeta(meta, for: name)

        // The old result goes before the image moves: a worker claiming the image
        // the instant it reaches incoming/ must not find it finished. A crash
        // between the two leaves the image in failed/ with its meta and no
        // result, which recovery takes for an interrupted retry and requeues.
        try? FileSystem.unlink(resultPath(.failed, name))
        do {
            try FileSystem.renameNoReplace(path(.failed, name), path(.incoming, name))
        } catch let error as SystemError where error.isNotFound {
            // Recovery may have finished the move for us.
            return FileSystem.exists(path(.incoming, name))
                || FileSystem.exists(path(.processing, name))
        }
        return true
    }

    /// Seconds since `name`'s result file was written, or nil if it has none.
    public func resultAge(_ name: JobName) -> Double? {
        for queue in [Queue.done, .failed] {
            if let info = try? FileSystem.lstat(resultPath(queue, name)) {
                return Date().timeIntervalSince1970 - info.modificationTime
            }
        }
        return nil
    }
}

extension Queue {
    /// True for `done` and `failed`, which hold `NAME.json` beside each image.
    public var holdsResults: Bool { self == .done || self == .failed }
}
