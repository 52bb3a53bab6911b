#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

/// A spool: one directory on one file system whose queues are subdirectories.
///
/// This is the only type in ocrspool that knows the layout and the rename
/// protocol. Its contract, kept by every operation:
/// 1. Nothing half-written is read: writers stage in `tmp/`, fsync, then rename.
/// 2. A job has one owner: the worker that renames it into `processing/` and holds
///    an exclusive `flock` on it; the lock dies with the process.
/// 3. The result file (`done/NAME.json`, `failed/NAME.json`) is the commit record:
///    once it is durable the job is finished, wherever its image is.
/// 4. Names are unique: the spool names every job and no rename replaces an image.
/// 5. Only regular files are read; nothing is followed out of the spool.
///
/// Harmless errors: losing a claim race (`ENOENT`, or a lock held by another
/// worker) is normal and reported as `nil`, never thrown.
///
/// Known limits: the spool must be on one local file system; without
/// `RENAME_NOREPLACE` support a retry may collide (see `FileSystem`).
public struct Spool: Sendable {
    /// The spool's root directory.
    public let root: String

    public init(root: String) {
        var path = root
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.root = path
    }

    /// The spool at `--spool`, else `$OCRSPOOL_SPOOL`, else `./spool`.
    public static func resolve(_ option: String?) -> Spool {
        let environment = ProcessInfo.processInfo.environment["OCRSPOOL_SPOOL"]
        return Spool(root: option ?? environment ?? "spool")
    }

    /// The directory of `queue`.
    public func directory(_ queue: Queue) -> String { "\(root)/\(queue.rawValue)" }

    /// The path of job `name` in `queue`. The only place job paths are built.
    public func path(_ queue: Queue, _ name: JobName) -> String {
        "\(root)/\(queue.rawValue)/\(name.string)"
    }

    /// The path of the result file of `name` in `done` or `failed`, or its meta file.
    public func resultPath(_ queue: Queue, _ name: JobName) -> String {
        "\(root)/\(queue.rawValue)/\(name.string).json"
    }

    /// Path of an entry whose name came from listing `queue` (not from a client).
    func listedPath(_ queue: Queue, _ entry: String) -> String {
        precondition(JobName.isSafeFileName(entry), "listed entry with unsafe name")
        return "\(root)/\(queue.rawValue)/\(entry)"
    }

    /// Creates the root and every queue directory that does not exist yet.
    ///
    /// Directories are made group-writable and set-gid so that daemons running as
    /// one service user and people in its group can share the spool.
    public func create() throws {
        try FileSystem.makeDirectory(root)
        for queue in Queue.allCases {
            try FileSystem.makeDirectory(directory(queue))
        }
    }

    /// True when every queue directory exists.
    public var isInitialised: Bool {
        (try? requireInitialised()) != nil
    }

    /// Throws a clear error unless the layout exists (`ocrspool init` makes it).
    public func requireInitialised() throws {
        for queue in Queue.allCases {
            let info = try FileSystem.lstat(directory(queue))
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw SystemError("open spool queue", paths: [directory(queue)], errno: ENOTDIR)
            }
        }
    }

    /// Reads the meta file of `name`; a job without one is a drop.
    public func meta(of name: JobName, fallbackDate: Date = Date()) -> JobMeta {
        let path = resultPath(.meta, name)
        guard let data = FileManager.default.contents(atPath: path),
            let meta = try? SpoolJSON.decoder().decode(JobMeta.self, from: data)
        else {
            return JobMeta(source: .drop, submittedAt: fallbackDate, originalName: dropTail(name))
        }
        return meta
    }

    /// Writes the meta file of `name` durably, replacing any earlier one.
    func writeMeta(_ meta: JobMeta, for name: JobName) throws {
        let bytes = Array(try SpoolJSON.encoder().encode(meta))
        try FileSystem.writeAtomically(
            bytes, stagingIn: directory(.tmp), to: resultPath(.meta, name), replace: true)
        // The rename must outlast a power cut before the job it describes is
        // published, or the job would come back without its expected number.
        try FileSystem.fsyncDirectory(directory(.meta))
    }

    /// The part of a name after the id, which for a drop is the name it was dropped as.
    func dropTail(_ name: JobName) -> String? {
        let text = name.string
        guard text.count > 25 else { return nil }
        return String(text.dropFirst(25))
    }
}
