// ocrspool: the operator's tool. Creates a spool, submits images, shows jobs,
// results and queue depths, requeues failures, follows results as they land,
// and runs every daemon in the foreground for a laptop or a demo (`up`).

import DaemonKit
import Foundation
import SpoolKit

let usage = """
    usage: ocrspool <command> [--spool DIR] [options]

    commands:
      init                              create the spool layout
      submit FILE... [--expect N] [--mode digits|text] [--wait] [--timeout DURATION]
                                        queue images; prints each job id (with --wait, each result)
      status [ID] [--db FILE]           a job's state and result (from the results database
                                        once pruned from the spool), or the queue depths
      stats [--db FILE]                 queue depths, and result totals when recorded
      retry ID... | --failed            requeue failed jobs
      watch [--all]                     print results as they land
      up [--port N | --listen ADDRESS] [--workers N] [--amqp URL] [--poll]
                                        run the daemons in the foreground until Ctrl-C

    The spool is --spool DIR, else $OCRSPOOL_SPOOL, else ./spool.
    """

/// A failure to report to the user as `ocrspool: message`, with an exit status.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    var status: Int32 = 1
}

func run(_ arguments: [String]) throws -> Int32 {
    guard let command = arguments.first else {
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        return 2
    }
    let rest = Array(arguments.dropFirst())
    // `ocrspool up --help` asks for the usage, not for an unknown option.
    if rest.contains("--help") || rest.contains("-h") {
        print(usage)
        return 0
    }
    switch command {
    case "init": return try initCommand(rest)
    case "submit": return try submitCommand(rest)
    case "status": return try statusCommand(rest)
    case "stats": return try statsCommand(rest)
    case "retry": return try retryCommand(rest)
    case "watch": return try watchCommand(rest)
    case "up": return try upCommand(rest)
    case "help", "--help", "-h":
        print(usage)
        return 0
    default:
        throw CommandError(description: "unknown command \(command)\n\(usage)", status: 2)
    }
}

do {
    exit(try run(Array(CommandLine.arguments.dropFirst())))
} catch let error as Options.UsageError {
    FileHandle.standardError.write(Data("ocrspool: \(error)\n".utf8))
    exit(2)
} catch let error as CommandError {
    FileHandle.standardError.write(Data("ocrspool: \(error)\n".utf8))
    exit(error.status)
} catch {
    FileHandle.standardError.write(Data("ocrspool: \(error)\n".utf8))
    exit(1)
}
