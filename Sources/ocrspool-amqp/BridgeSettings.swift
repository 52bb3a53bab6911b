import AMQPKit
import DaemonKit
import Foundation
import SpoolKit

/// What the bridge does, from its command line.
struct BridgeSettings: Sendable {
    var url: AMQPURL
    var tls = AMQPConnection.TLSSettings()
    var heartbeat = 30
    /// Consume `ingestQueue` into the spool; off with `--no-ingest`.
    var ingest = true
    var ingestQueue = "java2python"
    var prefetch = 16
    var resultQueue = "python2java"
    /// Publish every finished job, not only those that came from AMQP.
    var publishAll = false
    /// The whole result JSON as the body instead of the text read.
    var jsonBody = false
    /// Claim the spool's jobs and have them read through `workQueue`.
    var remote = false
    var workQueue = "ocrspool.work"
    var replyQueue: String
    /// Jobs sent to remote readers and not yet answered, at most.
    var remoteInFlight = 16
    /// Seconds after which a held job with no answer is sent again.
    var remoteTimeout = 600.0
    var maxAttempts = 3
    var maxImageBytes = 50 << 20
    var watch = SpoolWatcher.Settings()
    /// Seconds to wait for outstanding confirms when stopping.
    var stopGrace = 10.0

    /// The option names that take a value.
    static let valued: Set<String> = [
        "spool", "url", "url-file", "heartbeat", "ingest-queue", "prefetch", "result-queue",
        "work-queue", "reply-queue", "remote-inflight", "remote-timeout", "max-attempts",
        "max-bytes",
        "tls-ca", "tls-cert", "tls-key", "rescan", "settle", "poll-interval", "log-level",
    ]
    static let flags: Set<String> = [
        "no-ingest", "publish-all", "json", "remote", "tls-no-verify", "poll", "help",
    ]

    /// Reads the settings; the URL comes from `--url`, else the first line of
    /// `--url-file`, else `$OCRSPOOL_AMQP_URL`.
    init(_ options: Options) throws {
        url = try AMQPURL(try BridgeSettings.urlText(options))
        tls = AMQPConnection.TLSSettings(
            caCertificate: options.value("tls-ca"), certificate: options.value("tls-cert"),
            key: options.value("tls-key"), verify: !options.has("tls-no-verify"))
        heartbeat = try options.integer("heartbeat", default: 30, in: 0...3600)
        ingest = !options.has("no-ingest")
        ingestQueue = options.value("ingest-queue") ?? ingestQueue
        prefetch = try options.integer("prefetch", default: 16, in: 1...65535)
        resultQueue = options.value("result-queue") ?? resultQueue
        publishAll = options.has("publish-all")
        jsonBody = options.has("json")
        remote = options.has("remote")
        workQueue = options.value("work-queue") ?? workQueue
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init)
        replyQueue = options.value("reply-queue") ?? "ocrspool.results.\(host ?? "host")"
        remoteInFlight = try options.integer("remote-inflight", default: 16, in: 1...10_000)
        remoteTimeout = try options.duration("remote-timeout", default: 600)
        maxAttempts = try options.integer("max-attempts", default: 3, in: 1...100)
        let sizeText = options.value("max-bytes") ?? "50M"
        guard let size = Options.parseSize(sizeText), size > 0 else {
            throw Options.UsageError("--max-bytes must be a size like 50M, got \(sizeText)")
        }
        maxImageBytes = size
        watch = SpoolWatcher.Settings(
            polling: options.has("poll"),
            rescanInterval: try options.duration("rescan", default: 30),
            pollInterval: try options.duration("poll-interval", default: 0.5),
            settle: try options.duration("settle", default: 1))
        for queue in [ingestQueue, resultQueue, workQueue, replyQueue] where queue.isEmpty {
            throw Options.UsageError("queue names must not be empty")
        }
    }

    private static func urlText(_ options: Options) throws -> String {
        if let url = options.value("url") { return url }
        if let path = options.value("url-file") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Options.UsageError("cannot read --url-file \(path)")
            }
            let text = String(decoding: data, as: UTF8.self)
            return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        }
        if let url = ProcessInfo.processInfo.environment["OCRSPOOL_AMQP_URL"] { return url }
        throw Options.UsageError("no broker: give --url, --url-file or OCRSPOOL_AMQP_URL")
    }
}
