#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

extension Spool {
    /// Finishes an owned job: writes its result as the commit record, then moves
    /// the image beside it into `done/` or `failed/` and drops the lock.
    ///
    /// After the result file is durable the job is finished even if the process
    /// dies before the image moves: recovery completes the move.
    public func finish(_ claim: Claim, result: JobResult) throws {
        precondition(claim.isOpen, "finish of a released claim")
        precondition(result.id == claim.name.string, "result for another job")
        let queue: Queue = result.status == .done ? .done : .failed
        // A finished job of this name would lose its result to ours.
        let target = path(queue, claim.name)
        guard !FileSystem.exists(target) else {
            throw SystemError(
                "finish", paths: [path(.processing, claim.name), target], errno: EEXIST)
        }

        try writeResult(result, queue: queue, name: claim.name)
        try FileSystem.renameNoReplace(path(.processing, claim.name), path(queue, claim.name))
        _ = Glibc.unlink(resultPath(.meta, claim.name))
        claim.close()
    }

    /// Gives an owned job back to `incoming/` unfinished (a graceful stop), without
    /// counting it as a crash.
    public func release(_ claim: Claim) throws {
        guard claim.isOpen else { return }
        defer { claim.close() }
        try FileSystem.renameNoReplace(path(.processing, claim.name), path(.incoming, claim.name))
    }

    /// Writes `done/NAME.json` or `failed/NAME.json` durably.
    func writeResult(_ result: JobResult, queue: Queue, name: JobName) throws {
        let bytes = Array(try SpoolJSON.encoder().encode(result))
        try FileSystem.writeAtomically(
            bytes, stagingIn: directory(.tmp), to: resultPath(queue, name), replace: true)
        try FileSystem.fsyncDirectory(directory(queue))
    }
}
