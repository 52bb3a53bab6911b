import DaemonKit
import Foundation
import ResultStore
import SpoolKit
import Synchronization

/// The results database, read-only: the answer for jobs that retention has
/// pruned from the spool, so that a result stays reachable at its URL.
///
/// Opened at the first lookup that finds the file (the result daemon creates
/// it, perhaps after this daemon started) and kept open; WAL lets this reader
/// beside the result daemon's writer without blocking it. A database that
/// cannot be read answers nothing, and the job is then unknown, as it would be
/// with no database at all.
final class RecordedResults: Sendable {
    private let path: String
    private let logger: Logger
    private let store = Mutex<ResultStore?>(nil)

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    /// The recorded result of `name`, or nil when it has none.
    func result(of name: JobName) -> JobResult? {
        guard let store = open() else { return nil }
        do {
            return try store.result(name.string)
        } catch {
            logger.warning("cannot read recorded result", ["job": name.string, "error": error])
            return nil
        }
    }

    private func open() -> ResultStore? {
        store.withLock { current in
            if let current { return current }
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            do {
                let opened = try ResultStore(path: path, readOnly: true)
                current = opened
                return opened
            } catch {
                logger.warning("cannot open results database", ["db": path, "error": error])
                return nil
            }
        }
    }
}
