#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

extension Spool {
    /// Removes a finished job from `queue` (`done` or `failed`) for retention:
    /// its image unless `keepImage`, then its result file, always: the results
    /// database keeps the result, and a kept image stays in the queue for people
    /// to look at.
    ///
    /// A job whose image is still in `processing/` (its worker wrote the result
    /// and has not yet moved the image) or back in `incoming/` (a retry) is left
    /// alone, so retention never strands an image or a retried job.
    ///
    /// XXX: a retry that moves the image back and finishes again between the
    /// checks and the unlinks could lose its new result file; `ocrspool retry` is
    /// a person's action and the window is a few system calls wide.
    ///
    /// - Returns: false when the job was left alone or is no longer in `queue`.
    public func pruneFinished(_ name: JobName, from queue: Queue, keepImage: Bool) throws -> Bool {
        precondition(queue.holdsResults, "only done and failed hold finished jobs")
        guard FileSystem.exists(resultPath(queue, name)),
            !FileSystem.exists(path(.processing, name)),
            !FileSystem.exists(path(.incoming, name))
        else { return false }

        if !keepImage, FileSystem.exists(path(queue, name)) {
            do {
                try FileSystem.remove(path(queue, name))
            } catch let error as SystemError where error.isNotFound {
                // A retry took the image meanwhile and removes the result itself; a
                // result file here now may be the retry's new, unrecorded one.
                return false
            }
        }
        // A meta file left by a finish that died after its move goes first: a
        // kept image with meta and no result would look like an interrupted retry.
        _ = Glibc.unlink(resultPath(.meta, name))
        do {
            try FileSystem.unlink(resultPath(queue, name))
        } catch let error as SystemError where error.isNotFound {
            return false
        }
        return true
    }
}
