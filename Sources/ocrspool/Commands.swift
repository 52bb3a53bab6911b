import DaemonKit
import Foundation
import SpoolKit

/// Parses a command's options, always accepting `--spool`.
func parse(_ arguments: [String], valued: Set<String> = [], flags: Set<String> = []) throws
    -> (Options, Spool)
{
    let options = try Options(arguments, valued: valued.union(["spool"]), flags: flags)
    return (options, Spool.resolve(options.value("spool")))
}

/// The spool, which must have been initialised.
func existingSpool(_ spool: Spool) throws -> Spool {
    guard spool.isInitialised else {
        throw CommandError(
            description: "no spool at \(spool.root) (run: ocrspool init --spool \(spool.root))")
    }
    return spool
}

func initCommand(_ arguments: [String]) throws -> Int32 {
    let (_, spool) = try parse(arguments)
    try spool.create()
    print("spool ready at \(spool.root)")
    return 0
}

func submitCommand(_ arguments: [String]) throws -> Int32 {
    let (options, spool) = try parse(
        arguments, valued: ["expect", "mode", "timeout", "max-bytes"], flags: ["wait"])
    let spoolReady = try existingSpool(spool)
    guard !options.positional.isEmpty else {
        throw CommandError(description: "submit needs at least one FILE", status: 2)
    }
    if let mode = options.value("mode"), mode != "digits" && mode != "text" {
        throw CommandError(description: "--mode must be digits or text, got \(mode)", status: 2)
    }
    let expected = try options.value("expect").map { text in
        let digits = text.filter(\.isNumber)
        guard !digits.isEmpty, digits.count == text.filter({ !" -.,".contains($0) }).count else {
            throw CommandError(description: "--expect must be a number, got \(text)", status: 2)
        }
        return digits
    }
    let maxBytes = Options.parseSize(options.value("max-bytes") ?? "50M") ?? 50 << 20
    let waiter = options.has("wait") ? try ResultWaiter(spool: spoolReady) : nil

    var names: [JobName] = []
    for file in options.positional {
        let url = URL(fileURLWithPath: file)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CommandError(description: "\(file) is not a regular file")
        }
        let size = (attributes[.size] as? Int) ?? 0
        guard size <= maxBytes else {
            throw CommandError(
                description: "\(file) has \(size) bytes, over --max-bytes \(maxBytes)")
        }
        let bytes = Array(try Data(contentsOf: url))
        let meta = JobMeta(
            source: .cli, expected: expected, mode: options.value("mode"),
            originalName: url.lastPathComponent)
        let name = try spoolReady.submit(bytes, tail: url.lastPathComponent, meta: meta)
        names.append(name)
        if waiter == nil { print(name) }
    }
    guard let waiter else { return 0 }

    let timeout = try options.duration("timeout", default: 60)
    let deadline = Date().addingTimeInterval(timeout)
    var status: Int32 = 0
    for name in names {
        let left = max(0, deadline.timeIntervalSinceNow)
        guard let result = waiter.wait(for: name, timeout: left) else {
            FileHandle.standardError.write(
                Data("ocrspool: \(name) not finished after \(timeout)s\n".utf8))
            status = 3
            continue
        }
        print(try json(result))
        if result.status == .failed || result.verified == false { status = max(status, 1) }
    }
    return status
}

func statusCommand(_ arguments: [String]) throws -> Int32 {
    let (options, spool) = try parse(arguments, valued: ["db"])
    let spoolReady = try existingSpool(spool)
    guard let id = options.positional.first else { return try printDepths(spoolReady) }
    guard let name = JobName(id) else {
        throw CommandError(description: "\(id) is not a job id")
    }
    switch spoolReady.state(of: name) {
    case .finished(let result):
        print(try json(result, pretty: true))
    case .unknown:
        // Pruned from the spool by retention: the results database still has it.
        guard let result = recordedResult(name, spool: spoolReady, database: options.value("db"))
        else {
            throw CommandError(description: "no job \(id) in \(spoolReady.root)")
        }
        print(try json(result, pretty: true))
    case let state:
        print("{\"id\":\"\(name)\",\"status\":\"\(state.label)\"}")
    }
    return 0
}

func statsCommand(_ arguments: [String]) throws -> Int32 {
    let (options, spool) = try parse(arguments, valued: ["db"])
    let spoolReady = try existingSpool(spool)
    _ = try printDepths(spoolReady)
    for line in try resultStatsLines(spool: spoolReady, database: options.value("db")) ?? [] {
        print(line)
    }
    return 0
}

func printDepths(_ spool: Spool) throws -> Int32 {
    let depths = try spool.depths()
    for queue in Queue.jobQueues {
        let label = queue.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
        print("\(label)\(depths[queue] ?? 0)")
    }
    return 0
}

func retryCommand(_ arguments: [String]) throws -> Int32 {
    let (options, spool) = try parse(arguments, flags: ["failed"])
    let spoolReady = try existingSpool(spool)
    var names: [JobName] = []
    if options.has("failed") {
        names = try spoolReady.results(in: .failed)
    } else {
        for id in options.positional {
            guard let name = JobName(id) else {
                throw CommandError(description: "\(id) is not a job id")
            }
            names.append(name)
        }
    }
    guard !names.isEmpty || options.has("failed") else {
        throw CommandError(description: "retry needs job ids or --failed", status: 2)
    }
    var status: Int32 = 0
    for name in names {
        if try spoolReady.retry(name) {
            print("requeued \(name)")
        } else {
            FileHandle.standardError.write(Data("ocrspool: \(name) is not in failed/\n".utf8))
            status = 1
        }
    }
    return status
}

func watchCommand(_ arguments: [String]) throws -> Int32 {
    let (options, spool) = try parse(arguments, flags: ["all"])
    let spoolReady = try existingSpool(spool)
    let printer = ResultPrinter(spool: spoolReady, skipExisting: !options.has("all"))
    var watchers: [SpoolWatcher] = []
    for queue in [Queue.done, .failed] {
        let watcher = SpoolWatcher(
            spool: spoolReady, queue: queue, settings: SpoolWatcher.Settings(settle: 0)
        ) { entries in printer.show(entries) }
        watchers.append(watcher)
    }
    for watcher in watchers { try watcher.start() }
    printer.ready()
    let stop = DispatchSemaphore(value: 0)
    let signals = SignalWatcher { _ in stop.signal() }
    stop.wait()
    withExtendedLifetime((signals, watchers)) {}
    return 0
}

/// Prints one line per result as `watch` learns of it, each once.
final class ResultPrinter: @unchecked Sendable {
    private let spool: Spool
    private let lock = NSLock()
    private var seen: Set<String> = []
    private var skipping: Bool

    init(spool: Spool, skipExisting: Bool) {
        self.spool = spool
        self.skipping = skipExisting
    }

    /// Ends the start-up scans: what they reported existed before `watch` began.
    func ready() {
        lock.lock()
        skipping = false
        lock.unlock()
    }

    func show(_ entries: [String]) {
        lock.lock()
        defer { lock.unlock() }
        for entry in entries where entry.hasSuffix(".json") && seen.insert(entry).inserted {
            guard !skipping, let name = JobName(String(entry.dropLast(5))),
                let result = spool.result(of: name)
            else { continue }
            let finished = SpoolJSON.format(result.finishedAt)
            var line = "\(finished) \(result.id) \(result.status.rawValue)"
            if let error = result.error {
                line += " code=\(error.code)"
            } else {
                line += " digits=\(result.digits.isEmpty ? "-" : result.digits)"
                line += " confidence=\(Int(result.confidence))"
            }
            if let verified = result.verified { line += " verified=\(verified)" }
            print(line)
            fflush(nil)
        }
    }
}

/// A result as one line of JSON, or indented for a person.
func json(_ result: JobResult, pretty: Bool = false) throws -> String {
    let encoder = SpoolJSON.encoder()
    if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
    return String(decoding: try encoder.encode(result), as: UTF8.self)
}
