// ocrspool-loop-probe: a stand-in daemon for SystemdTests that runs DaemonKit's
// ServiceLoop with a tick the test can wedge. While the file named by --block
// exists, the tick does not return, as a daemon stuck in its main loop would not.
//
//   ocrspool-loop-probe --block PATH [--interval SECONDS]

import DaemonKit
import Foundation

func main() -> Int32 {
    let options: Options
    do {
        options = try Options(
            Array(CommandLine.arguments.dropFirst()), valued: ["block", "interval"], flags: [])
    } catch {
        FileHandle.standardError.write(Data("ocrspool-loop-probe: \(error)\n".utf8))
        return 2
    }
    guard let blockPath = options.value("block") else {
        FileHandle.standardError.write(Data("ocrspool-loop-probe: --block PATH is required\n".utf8))
        return 2
    }
    let interval = (try? options.duration("interval", default: 2)) ?? 2
    let logger = Logger(label: "ocrspool-loop-probe")
    let loop = ServiceLoop(logger: logger)

    var ticks = 0
    loop.run(status: "ticks=0", interval: interval) {
        ticks += 1
        if FileManager.default.fileExists(atPath: blockPath) {
            // Tell the test the wedge has begun, then hang until the file goes.
            loop.notifier.status("blocked tick=\(ticks)")
            while FileManager.default.fileExists(atPath: blockPath) { usleep(10_000) }
        }
        return "ticks=\(ticks)"
    }
    logger.info("stopped", ["ticks": ticks])
    return 0
}

exit(main())
