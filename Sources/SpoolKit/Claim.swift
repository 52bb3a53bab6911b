#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

/// A job owned by this process: its image is in `processing/` and this object's
/// open descriptor holds the exclusive `flock` that proves ownership.
///
/// The lock lives exactly as long as the descriptor: if the process dies, the
/// kernel closes it and any other worker may take the job back. Finish it with
/// `Spool.finish(_:result:)` or give it back with `Spool.release(_:)`. Not
/// thread-safe: one worker holds it.
public final class Claim {
    public let name: JobName
    /// What the submitter said; for a dropped file, defaults.
    public let meta: JobMeta
    /// When this worker took the job.
    public let startedAt: Date
    /// Size of the image in bytes.
    public let size: Int
    let fd: Int32
    let path: String
    var isOpen = true

    init(name: JobName, meta: JobMeta, fd: Int32, path: String, size: Int) {
        self.name = name
        self.meta = meta
        self.fd = fd
        self.path = path
        self.size = size
        self.startedAt = Date()
    }

    deinit { close() }

    /// The image's bytes, read through the locked descriptor.
    ///
    /// - Throws: `SystemError` with `EFBIG` when the file is larger than `limit`.
    public func readImage(limit: Int) throws -> [UInt8] {
        try FileSystem.readAll(fd, path: path, limit: limit)
    }

    func close() {
        guard isOpen else { return }
        isOpen = false
        FileSystem.close(fd)
    }
}

/// What became of an attempt to claim an entry of `incoming/`.
public enum ClaimOutcome {
    /// This worker owns the job now.
    case claimed(Claim)
    /// Another worker has it or it is gone: normal, nothing to do.
    case gone
    /// Someone holds its lock for a moment (a claimer or a recovery): try again soon.
    case busy
    /// Not a job yet (hidden, `*.part`, `*.tmp`, `*~`) or not a name the spool accepts.
    case ignored
    /// A symlink, FIFO, device, directory or hard link: moved to `failed/` unread.
    case refused(JobName, reason: String)
}

extension Spool {
    /// Renames the entries of `incoming/` whose names are not UTF-8 to names that
    /// are (bad bytes become `_`), so that they can be claimed like any drop;
    /// names still being written (`.x`, `*.part`, …) are left to their writers.
    ///
    /// - Returns: the new names.
    public func renameUndecodableEntries() throws -> [String] {
        try FileSystem.renameUndecodable(in: directory(.incoming), skip: JobName.isInProgress)
    }

    /// Tries to take ownership of `incoming/entry`.
    ///
    /// The entry is opened (never following a symlink), locked, then renamed into
    /// `processing/`. A dropped file gets a fresh unique name on the way, ending in
    /// its old name, so two drops under one name stay two jobs.
    public func claim(_ entry: String) throws -> ClaimOutcome {
        guard JobName.isSafeFileName(entry), !JobName.isInProgress(entry) else { return .ignored }
        let source = listedPath(.incoming, entry)

        let listed: stat
        do {
            listed = try FileSystem.lstat(source)
        } catch let error as SystemError where error.isNotFound {
            return .gone
        }
        if let reason = refusalReason(listed) { return try refuse(entry, reason: reason) }

        let fd: Int32
        do {
            fd = try openOwned(source)
        } catch let error as SystemError where error.isNotFound {
            return .gone
        } catch let error as SystemError where error.errno == ELOOP {
            return try refuse(entry, reason: "a symbolic link")
        }
        var keep = false
        defer { if !keep { FileSystem.close(fd) } }

        // The entry may have been replaced between lstat and open.
        let opened = try FileSystem.fstat(fd, path: source)
        guard opened.isRegularFile, opened.st_ino == listed.st_ino else { return .busy }
        guard try FileSystem.tryLock(fd, path: source) else { return .busy }

        guard let name = try moveToProcessing(entry, from: source, inode: opened.st_ino) else {
            return .gone
        }
        let meta = self.meta(
            of: name, fallbackDate: Date(timeIntervalSince1970: opened.modificationTime))
        keep = true
        return .claimed(Claim(
            name: name, meta: meta, fd: fd, path: path(.processing, name),
            size: Int(opened.st_size)))
    }

    /// Opens a job file for its owner: read-write when permitted, so that its close
    /// at the owner's death is an `IN_CLOSE_WRITE` event other workers act on at once
    /// (their own read-only probes close without that event).
    private func openOwned(_ path: String) throws -> Int32 {
        do {
            return try Syscall.retrying("open", path) {
                Glibc.open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            }
        } catch let error as SystemError where error.errno == EACCES || error.errno == EROFS {
            // XXX: a file the service user may not write is owned read-only; its
            // owner's death is then noticed by the periodic recovery scan only.
            return try FileSystem.openForReading(path)
        }
    }

    /// Renames a locked entry into `processing/`; nil when it vanished first.
    private func moveToProcessing(_ entry: String, from source: String, inode: ino_t) throws
        -> JobName?
    {
        // A job keeps its name; a copy dropped under the name of a finished job is
        // another job, and must not replace that job's result.
        var name = JobName(entry).flatMap { isFinished($0) ? nil : $0 }
            ?? JobName.fresh(tail: entry)
        for _ in 0..<3 {
            do {
                try FileSystem.renameNoReplace(source, path(.processing, name))
                break
            } catch let error as SystemError where error.isNotFound {
                return nil
            } catch let error as SystemError where error.isAlreadyExists {
                name = JobName.fresh(tail: entry)
            }
        }
        let moved = try FileSystem.lstat(path(.processing, name))
        guard moved.st_ino == inode else {
            // Someone replaced the entry between our lock and our rename: what we
            // moved is a new job we do not hold; put it back for a fair claim.
            try? FileSystem.renameNoReplace(path(.processing, name), source)
            return nil
        }
        return name
    }

    /// True when `done/` or `failed/` holds `name` or its result.
    func isFinished(_ name: JobName) -> Bool {
        [Queue.done, .failed].contains { queue in
            FileSystem.exists(path(queue, name)) || FileSystem.exists(resultPath(queue, name))
        }
    }

    /// Why an entry of `incoming/` must not be read, or nil when it may.
    private func refusalReason(_ info: stat) -> String? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return info.st_nlink > 1 ? "a hard link to a file outside the spool" : nil
        case S_IFLNK: return "a symbolic link"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        default: return "a device"
        }
    }

    /// Moves a refused entry, unread, to `failed/` under a fresh name with its reason.
    private func refuse(_ entry: String, reason: String) throws -> ClaimOutcome {
        let name = JobName.fresh(tail: entry)
        let meta = JobMeta(source: .drop, originalName: entry)
        let result = JobResult.failure(
            name, meta: meta, code: "not_a_regular_file",
            message: "\(entry) is \(reason); only regular files are read", attempts: 0)
        try writeResult(result, queue: .failed, name: name)
        do {
            try FileSystem.renameNoReplace(listedPath(.incoming, entry), path(.failed, name))
        } catch let error as SystemError where error.isNotFound {
            _ = Glibc.unlink(resultPath(.failed, name))
            return .gone
        }
        // The entry's new name differs from its old one, so recovery could not
        // tell a move lost in a power cut from a new drop: make the move durable.
        try FileSystem.fsyncDirectory(directory(.failed))
        try FileSystem.fsyncDirectory(directory(.incoming))
        return .refused(name, reason: reason)
    }
}
