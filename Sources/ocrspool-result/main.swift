#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation

// ocrspool-result: records finished jobs in SQLite, delivers them to hooks,
// prunes them from the spool. See ResultDaemon.

let arguments = Array(CommandLine.arguments.dropFirst())
let configuration: ResultConfiguration
do {
    let options = try Options(
        arguments, valued: ResultConfiguration.valued, flags: ResultConfiguration.flags)
    if options.has("help") {
        print(ResultConfiguration.usage)
        exit(0)
    }
    guard options.positional.isEmpty else {
        throw Options.UsageError("unexpected argument \(options.positional[0])")
    }
    configuration = try ResultConfiguration(options)
} catch {
    let message = "ocrspool-result: \(error)\n\(ResultConfiguration.usage)\n"
    FileHandle.standardError.write(Data(message.utf8))
    exit(2)
}

let logger = Logger(label: "ocrspool-result", minimum: configuration.logLevel)
do {
    let daemon = try ResultDaemon(configuration, logger: logger)
    exit(daemon.run())
} catch {
    logger.error("cannot start", ["error": error])
    exit(1)
}
