#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation
import HTTPKit
import SpoolKit

// ocrspool-upload: the HTTP API and upload page. Streams uploads into the spool
// as jobs and answers their state; see UploadConfig.usage for its flags.

let config: UploadConfig
do {
    config = try UploadConfig(Array(CommandLine.arguments.dropFirst()))
} catch let error as Options.UsageError {
    if CommandLine.arguments.contains("--help") {
        print(UploadConfig.usage)
        exit(0)
    }
    let text = "ocrspool-upload: \(error)\n\n\(UploadConfig.usage)\n"
    FileHandle.standardError.write(Data(text.utf8))
    exit(2)
}
var logger = Logger(label: "ocrspool-upload", minimum: config.logLevel)

/// Lets the process hold as many descriptors as it may: each connection needs one.
func raiseDescriptorLimit() {
    let resource = Int32(RLIMIT_NOFILE.rawValue)
    var limit = rlimit()
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(resource, &limit)
}

do {
    raiseDescriptorLimit()
    try config.spool.create()
    let listener = try ListenSocket.open(config.listen)
    let service = UploadService(config: config, logger: logger)
    try service.start()
    let server = try HTTPServer(listener: listener, settings: config.server, handler: service)
    service.server = server
    var address = config.listen.description
    if case .tcp(let host, _) = config.listen, let port = server.port {
        address = ListenAddress.tcp(host: host, port: port).description
    }
    logger.info(
        "started",
        ["listen": address, "spool": config.spool.root, "www": config.www,
         "max_bytes": config.maxBytes, "threads": config.server.threads,
         "microhttpd": HTTPKit.libraryVersion])

    let loop = ServiceLoop(logger: logger)
    loop.run(status: service.status()) { service.status() }

    logger.info("stopping", ["in_flight": server.requestsInFlight])
    server.stop(grace: 5)
    service.stop()
    logger.info("stopped")
    exit(0)
} catch {
    logger.error("cannot start", ["error": error])
    exit(1)
}
