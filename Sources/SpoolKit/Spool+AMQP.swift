#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

/// The AMQP bridge's own state in the spool: `published/NAME`, one small file per
/// finished job whose result the broker has confirmed (or returned as unroutable),
/// holding that result's finish time and a note.
///
/// A marker is written after the broker's confirm and is not fsynced: a power cut
/// can lose the latest ones, and those results are then published again. That is
/// the at-least-once the bridge promises; a duplicate carries the same
/// correlation id and job id. Markers of jobs that are no longer in the spool are
/// removed by `prunePublishedMarkers`.
extension Spool {
    /// The directory of publish markers; not a queue, jobs never move into it.
    public var publishedDirectory: String { "\(root)/published" }

    /// Creates `published/` if it does not exist yet.
    public func createPublishedDirectory() throws {
        try FileSystem.makeDirectory(publishedDirectory)
    }

    private func publishedPath(_ name: JobName) -> String {
        "\(publishedDirectory)/\(name.string)"
    }

    /// True when this very result (same job, same finish time) was published.
    ///
    /// A job retried after its result was published finishes again with a new
    /// time, so its new result counts as unpublished.
    public func isPublished(_ result: JobResult) -> Bool {
        guard let name = JobName(result.id), let note = publishedNote(name) else { return false }
        return note.hasPrefix(SpoolJSON.format(result.finishedAt) + " ")
    }

    /// Records that `result` was published; `note` says how (`confirmed`,
    /// `unroutable …`), for a person reading the file.
    public func markPublished(_ result: JobResult, note: String) throws {
        guard let name = JobName(result.id) else { return }
        let path = publishedPath(name)
        let line = "\(SpoolJSON.format(result.finishedAt)) \(note)\n"
        // Staged and renamed, so a reader never sees half a marker; not fsynced
        // (see the type's comment).
        var random = SystemRandomNumberGenerator()
        let staging = "\(directory(.tmp))/.published-\(random.next() % 1_000_000_000).tmp"
        let fd = try FileSystem.createExclusive(staging)
        let written = Result {
            try Array(line.utf8).withUnsafeBytes { (raw) in
                try FileSystem.writeAll(fd, raw, path: staging)
            }
        }
        FileSystem.close(fd)
        do {
            try written.get()
            try FileSystem.rename(staging, path)
        } catch {
            _ = Glibc.unlink(staging)
            throw error
        }
    }

    /// The marker of `name`: the published result's finish time and a note; nil
    /// when it was never published.
    public func publishedNote(_ name: JobName) -> String? {
        guard let data = FileManager.default.contents(atPath: publishedPath(name)) else {
            return nil
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// Removes markers whose job has left `done/` and `failed/` (pruned or retried).
    ///
    /// - Returns: how many were removed.
    @discardableResult
    public func prunePublishedMarkers() throws -> Int {
        var removed = 0
        for entry in try FileSystem.list(publishedDirectory) {
            guard let name = JobName(entry) else { continue }
            let finished = FileSystem.exists(resultPath(.done, name))
                || FileSystem.exists(resultPath(.failed, name))
            if !finished, (try? FileSystem.unlink(publishedPath(name))) != nil { removed += 1 }
        }
        return removed
    }
}
