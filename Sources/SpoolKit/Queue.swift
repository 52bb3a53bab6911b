/// The directories of a spool. Jobs move between them only by `rename(2)`.
public enum Queue: String, Sendable, CaseIterable, Codable {
    /// Writers stage files here, then rename them into `incoming`.
    case tmp
    /// Ready jobs: one image file per job.
    case incoming
    /// Jobs claimed by a live worker, each locked with `flock` by its owner.
    case processing
    /// Finished jobs: the image and `NAME.json`.
    case done
    /// Jobs that could not be read: the image and `NAME.json` with the error.
    case failed
    /// Submission details (`NAME.json`) of jobs not yet finished; not a queue.
    case meta

    /// The queues a job's image can be in, in the order a job passes them.
    public static let jobQueues: [Queue] = [.incoming, .processing, .done, .failed]
}
