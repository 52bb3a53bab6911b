import Foundation
import ResultStore
import SpoolKit
import TestKit

/// A temporary spool with an `ocrspool-result` daemon (or several) over it, a
/// recording hook script, and read access to the results database.
final class ResultDaemonHarness: @unchecked Sendable {
    let spool: TemporarySpool
    let databasePath: String
    /// Lines `ENV_ID JSON_ID` appended by the recording hook, one per run.
    let hookLog: String
    /// A hook command that records each run in `hookLog`.
    let recordingHook: String
    private(set) var daemons: [ChildProcess] = []

    init(_ label: String) throws {
        spool = try TemporarySpool(label)
        databasePath = spool.directory.file("results.sqlite")
        hookLog = spool.directory.file("hook.log")
        let script = spool.directory.file("hook.sh")
        try """
            json=$(cat)
            id=$(printf '%s' "$json" | sed -n 's/.*"id":"\\([^"]*\\)".*/\\1/p')
            printf '%s %s\\n' "$OCRSPOOL_JOB_ID" "$id" >> "$1"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        recordingHook = "/bin/sh \(script) \(hookLog)"
    }

    /// Starts one more daemon with `--spool`, `--db` and `arguments`.
    @discardableResult
    func start(_ arguments: [String]) throws -> ChildProcess {
        let daemon = try ChildProcess(
            ChildProcess.product("ocrspool-result"),
            ["--spool", spool.spool.root, "--db", databasePath] + arguments,
            logDirectory: spool.directory.path)
        daemons.append(daemon)
        return daemon
    }

    /// Every daemon's log so far, for assertions and failure messages.
    var logs: String { daemons.map(\.log).joined(separator: "\n") }

    /// The database, read-only, once a daemon has created it.
    func store() throws -> ResultStore {
        _ = waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: databasePath) }
        return try ResultStore(path: databasePath, readOnly: true)
    }

    /// The hook runs so far as (id from the environment, id from the JSON).
    func hookRuns() -> [(environment: String, json: String)] {
        let text = (try? String(contentsOfFile: hookLog, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2 else { return nil }
            return (String(fields[0]), String(fields[1]))
        }
    }

    /// Waits until `count` jobs are recorded and nothing is owed; false on timeout.
    func waitSettled(count: Int, timeout: Double) throws -> Bool {
        let store = try store()
        return waitUntil(timeout: timeout) {
            guard (try? store.count()) == count,
                let counts = try? store.deliveryCounts()
            else { return false }
            return (counts[.pending] ?? 0) == 0
        }
    }
}
