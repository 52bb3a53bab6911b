#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

/// Streams one new job into the spool: bytes go to `tmp/` as they arrive, and the
/// job appears in `incoming/` only when `commit` has fsynced and renamed it.
///
/// A writer that is neither committed nor aborted is aborted when it is released,
/// so a refused or broken upload leaves nothing in any queue. Not thread-safe.
public final class JobWriter {
    /// The name the job will have.
    public let name: JobName
    /// How many bytes have been written so far.
    public private(set) var byteCount = 0
    private let spool: Spool
    private let stagingPath: String
    private var fd: Int32

    init(spool: Spool, name: JobName) throws {
        self.spool = spool
        self.name = name
        stagingPath = "\(spool.directory(.tmp))/\(name.string).part"
        fd = try FileSystem.createExclusive(stagingPath)
    }

    deinit {
        if fd >= 0 { abort() }
    }

    /// Appends bytes to the staged file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(fd >= 0, "write after commit or abort")
        try FileSystem.writeAll(fd, bytes, path: stagingPath)
        byteCount += bytes.count
    }

    /// Appends bytes to the staged file.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { (raw) in try write(raw) }
    }

    /// The first bytes written, for judging the file's type before committing.
    public func head(_ count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let read = buffer.withUnsafeMutableBytes { raw in Glibc.pread(fd, raw.baseAddress!, count, 0) }
        guard read >= 0 else { throw SystemError("read", paths: [stagingPath], errno: errno) }
        return Array(buffer.prefix(read))
    }

    /// Publishes the job: writes its meta file, fsyncs the image and renames it
    /// into `incoming/`, then fsyncs `incoming/` so the job survives a power cut.
    ///
    /// - Returns: the job's name, which is its id.
    @discardableResult
    public func commit(meta: JobMeta) throws -> JobName {
        precondition(fd >= 0, "commit after commit or abort")
        do {
            try FileSystem.fsync(fd, path: stagingPath)
            FileSystem.close(fd)
            fd = -1
            try spool.writeMeta(meta, for: name)
            try FileSystem.renameNoReplace(stagingPath, spool.path(.incoming, name))
        } catch {
            discard()
            _ = Glibc.unlink(spool.resultPath(.meta, name))
            throw error
        }
        try FileSystem.fsyncDirectory(spool.directory(.incoming))
        return name
    }

    /// Drops the staged file; nothing of the job remains.
    public func abort() {
        discard()
    }

    private func discard() {
        if fd >= 0 {
            FileSystem.close(fd)
            fd = -1
        }
        _ = Glibc.unlink(stagingPath)
    }
}

extension Spool {
    /// Starts a new job whose name ends in `.tail` (an extension or original name).
    public func beginJob(tail: String? = nil) throws -> JobWriter {
        try JobWriter(spool: self, name: JobName.fresh(tail: tail))
    }

    /// Submits a whole image held in memory; returns its name.
    @discardableResult
    public func submit(_ bytes: [UInt8], tail: String? = nil, meta: JobMeta) throws -> JobName {
        let writer = try beginJob(tail: tail)
        try writer.write(bytes)
        return try writer.commit(meta: meta)
    }
}
