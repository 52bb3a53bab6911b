import DaemonKit
import Foundation
import ResultStore
import SpoolKit

/// The daemon's settings, from its command line.
struct ResultConfiguration {
    var spool: Spool
    var databasePath: String
    var hook: HookCommand?
    var webhook: URL?
    var delivery = Deliverer.Settings()
    var retention = Retention.Settings()
    var watch = SpoolWatcher.Settings()
    var logLevel = Logger.Level.info

    static let usage = """
        usage: ocrspool-result [--spool DIR] [--db FILE] [--on-result CMD] [--webhook URL]
                               [--hook-timeout 30s] [--hook-concurrency 4]
                               [--hook-attempts 8] [--hook-backoff 2s] [--stop-grace 15s]
                               [--keep-done DURATION] [--keep-failed DURATION] [--keep-images]
                               [--keep-records DURATION]
                               [--prune-interval 1m] [--rescan-interval 30s] [--polling]
                               [--log-level info]

        Records every finished job of the spool in SQLite (default SPOOL/results.sqlite),
        runs --on-result CMD (argv, result JSON on stdin, OCRSPOOL_JOB_ID set) and POSTs
        to --webhook URL once per result, at least once, and prunes recorded jobs older
        than --keep-done / --keep-failed from the spool (--keep-images keeps images).
        --keep-records deletes database rows of pruned jobs that finished longer ago.
        A keep duration that is empty or "never" keeps forever, as leaving it out does.
        A stop waits --stop-grace for hooks in flight, then kills them (repeated later).
        """

    static let valued: Set<String> = [
        "spool", "db", "on-result", "webhook", "hook-timeout", "hook-concurrency",
        "hook-attempts", "hook-backoff", "stop-grace", "keep-done", "keep-failed", "keep-records",
        "prune-interval", "rescan-interval", "log-level",
    ]

    static let flags: Set<String> = ["keep-images", "polling", "help"]

    init(_ options: Options) throws {
        spool = Spool.resolve(options.value("spool"))
        databasePath = options.value("db") ?? ResultStore.defaultPath(for: spool)
        if let text = options.value("on-result") {
            guard let command = HookCommand(text) else {
                throw Options.UsageError("--on-result needs a command, got \"\(text)\"")
            }
            hook = command
        }
        if let text = options.value("webhook") {
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""),
                url.host != nil
            else {
                throw Options.UsageError("--webhook needs an http or https URL, got \(text)")
            }
            webhook = url
        }

        delivery.timeout = try options.duration("hook-timeout", default: 30)
        delivery.concurrency = try options.integer("hook-concurrency", default: 4, in: 1...64)
        delivery.attempts = try options.integer("hook-attempts", default: 8, in: 1...1000)
        delivery.backoff = try options.duration("hook-backoff", default: 2)
        delivery.stopGrace = try options.duration("stop-grace", default: 15)
        guard delivery.timeout > 0 else {
            throw Options.UsageError("--hook-timeout must be more than 0")
        }

        retention.keepDone = try ResultConfiguration.keep(options, "keep-done")
        retention.keepFailed = try ResultConfiguration.keep(options, "keep-failed")
        retention.keepImages = options.has("keep-images")
        retention.keepRecords = try ResultConfiguration.keep(options, "keep-records")
        retention.interval = max(0.05, try options.duration("prune-interval", default: 60))

        watch.polling = options.has("polling")
        watch.rescanInterval = max(0.05, try options.duration("rescan-interval", default: 30))
        watch.pollInterval = min(watch.rescanInterval, watch.pollInterval)
        if let name = options.value("log-level") {
            guard let level = Logger.Level(name: name) else {
                throw Options.UsageError(
                    "--log-level must be debug, info, notice, warning or error")
            }
            logLevel = level
        }
    }

    /// A retention duration, or nil (keep forever) when the option is absent,
    /// empty (an unset variable in the systemd unit) or `never`.
    static func keep(_ options: Options, _ name: String) throws -> Double? {
        guard let text = options.value(name), !text.isEmpty, text != "never" else { return nil }
        return try options.duration(name, default: 0)
    }
}
