// ocrspool-ocr: the OCR daemon. It claims images from the spool's incoming/
// queue, reads them with Tesseract through its C API (one engine per worker
// thread, loaded once), and finishes each into done/ or failed/.

import DaemonKit
import Foundation
import OCRKit
import SpoolKit

let usage = """
    usage: ocrspool-ocr [--spool DIR] [--workers N] [--mode digits|text] [--timeout DURATION]
                        [--max-pixels N] [--max-bytes SIZE] [--max-attempts N] [--poll]
                        [--poll-interval DURATION] [--rescan DURATION] [--settle DURATION]
                        [--stall-after DURATION] [--log-level LEVEL]

    --stall-after (default: --timeout plus 60s): a worker held this long by one
    job stops the systemd watchdog, so that a wedged daemon is restarted.
    """

/// libgomp reads OMP_THREAD_LIMIT when the library loads, before any Swift code
/// runs; Tesseract's own threads would fight the worker threads for the cores
/// (measured: 37 images/s on two threads without the limit, 116/s with it). So
/// the daemon re-executes itself once with the limit set unless the caller set one.
func limitOpenMPThreads() {
    guard ProcessInfo.processInfo.environment["OMP_THREAD_LIMIT"] == nil else { return }
    setenv("OMP_THREAD_LIMIT", "1", 1)
    // The resolved path keeps the process name (`ps`, `pkill`) that /proc/self/exe would lose.
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? "/proc/self/exe"
    let arguments = CommandLine.arguments.map { strdup($0) } + [nil]
    execv(executable, arguments)
    // Falls through only if exec failed; run on, slower, rather than not at all.
}

func main() -> Int32 {
    limitOpenMPThreads()
    let options: Options
    do {
        options = try Options(
            Array(CommandLine.arguments.dropFirst()),
            valued: ["spool", "workers", "mode", "timeout", "max-pixels", "max-bytes",
                     "max-attempts", "rescan", "settle", "log-level", "poll-interval",
                     "stall-after"],
            flags: ["poll", "help"])
    } catch {
        FileHandle.standardError.write(Data("ocrspool-ocr: \(error)\n\(usage)\n".utf8))
        return 2
    }
    if options.has("help") {
        print(usage)
        return 0
    }
    let level = options.value("log-level").flatMap(Logger.Level.init(name:)) ?? .info
    let logger = Logger(label: "ocrspool-ocr", minimum: level)

    do {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let mode = ReadMode(rawValue: options.value("mode") ?? "digits") else {
            throw Options.UsageError("--mode must be digits or text")
        }
        let timeout = try options.duration("timeout", default: 10)
        let maxBytesText = options.value("max-bytes") ?? "50M"
        guard let maxBytes = Options.parseSize(maxBytesText), maxBytes > 0 else {
            throw Options.UsageError("--max-bytes must be a size like 50M, got \(maxBytesText)")
        }
        let settings = OCRDaemon.Settings(
            workers: try options.integer("workers", default: cores, in: 1...256),
            maxAttempts: try options.integer("max-attempts", default: 3, in: 1...100),
            watch: SpoolWatcher.Settings(
                polling: options.has("poll"),
                rescanInterval: try options.duration("rescan", default: 30),
                pollInterval: try options.duration("poll-interval", default: 0.5),
                settle: try options.duration("settle", default: 1)),
            worker: WorkerSettings(
                mode: mode,
                limits: ReadLimits(
                    maxPixels: try options.integer(
                        "max-pixels", default: 40_000_000, in: 1...Int.max),
                    deadlineMilliseconds: Int(timeout * 1000)),
                maxBytes: maxBytes,
                hostLabel: "\(ProcessInfo.processInfo.hostName):\(getpid())"),
            stopGrace: timeout + 5,
            stallAfter: try options.duration("stall-after", default: timeout + 60))
        let spool = Spool.resolve(options.value("spool"))
        return try OCRDaemon(spool: spool, settings: settings, logger: logger).run()
    } catch let error as Options.UsageError {
        FileHandle.standardError.write(Data("ocrspool-ocr: \(error)\n\(usage)\n".utf8))
        return 2
    } catch {
        logger.error("cannot start", ["error": error])
        return 1
    }
}

exit(main())
