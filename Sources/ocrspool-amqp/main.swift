// ocrspool-amqp: the AMQP bridge. It turns messages of a RabbitMQ queue into
// spool jobs and publishes finished jobs' results back, compatible with the
// reference design's java2python / python2java queues; with --remote it sends
// its spool's jobs to OCR hosts through a shared work queue.

import DaemonKit
import Foundation
import SpoolKit

let usage = """
    usage: ocrspool-amqp [--spool DIR] (--url URL | --url-file FILE | $OCRSPOOL_AMQP_URL)
                         [--ingest-queue NAME] [--no-ingest] [--prefetch N]
                         [--result-queue NAME] [--publish-all] [--json]
                         [--remote] [--work-queue NAME] [--reply-queue NAME]
                         [--remote-inflight N] [--remote-timeout DURATION]
                         [--heartbeat SECONDS]
                         [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [--tls-no-verify]
                         [--max-attempts N] [--max-bytes SIZE] [--poll] [--rescan DURATION]
                         [--settle DURATION] [--poll-interval DURATION] [--log-level LEVEL]
    URL: amqp://user:pass@host:port/vhost, or amqps:// for TLS
    """

func main() -> Int32 {
    let settings: BridgeSettings
    let options: Options
    do {
        options = try Options(
            Array(CommandLine.arguments.dropFirst()),
            valued: BridgeSettings.valued, flags: BridgeSettings.flags)
        if options.has("help") {
            print(usage)
            return 0
        }
        settings = try BridgeSettings(options)
    } catch {
        FileHandle.standardError.write(Data("ocrspool-amqp: \(error)\n\(usage)\n".utf8))
        return 2
    }
    let level = options.value("log-level").flatMap(Logger.Level.init(name:)) ?? .info
    let logger = Logger(label: "ocrspool-amqp", minimum: level)
    let spool = Spool.resolve(options.value("spool"))

    let bridge = Bridge(settings: settings, spool: spool, logger: logger)
    do {
        try bridge.start()
    } catch {
        logger.error("cannot start", ["spool": spool.root, "error": error])
        return 1
    }
    logger.info("started", [
        "spool": spool.root, "url": settings.url, "remote": settings.remote,
        "json": settings.jsonBody, "publish_all": settings.publishAll,
    ])
    let loop = ServiceLoop(logger: logger)
    loop.run(status: "starting") { bridge.status() }
    bridge.stop()
    logger.info("stopped", ["status": bridge.status()])
    return 0
}

exit(main())
