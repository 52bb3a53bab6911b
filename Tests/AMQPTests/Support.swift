import AMQPKit
import Foundation
import SpoolKit
import Testing
import TestKit

/// Helpers shared by the AMQP bridge's tests.
enum AMQPTestSupport {
    /// The pika client that plays the reference design's producer and consumer.
    static var referenceClient: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Python/reference_client.py").path
    }

    /// A queue name no other test uses.
    static func uniqueQueue(_ label: String) -> String {
        "test.\(label).\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Writes a PNG of `digits` in black on white, large and clean enough that
    /// Tesseract reads it reliably (ImageMagick's `convert`).
    static func numberImage(_ digits: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("\(digits)-\(UUID().uuidString.prefix(4)).png")
        let output = try run(
            "/usr/bin/convert",
            ["-size", "\(60 + 40 * digits.count)x110", "xc:white", "-font", "DejaVu-Sans",
             "-pointsize", "60", "-fill", "black", "-annotate", "+30+80", digits, path],
            timeout: 60)
        guard output.status == 0 else { throw SupportError("convert failed: \(output.text)") }
        return path
    }

    /// Runs the reference client; returns its exit status and the JSON lines it printed.
    static func referenceClient(
        _ arguments: [String], timeout: Double = 120
    ) throws -> (status: Int32, messages: [[String: Any]], text: String) {
        let output = try run(
            "/usr/bin/env", ["python3", referenceClient] + arguments, timeout: timeout)
        let messages = output.text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        return (output.status, messages, output.text)
    }

    /// Runs a program to completion within `timeout` seconds; stdout and stderr together.
    static func run(
        _ executable: String, _ arguments: [String], timeout: Double
    ) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let directory = try TemporaryDirectory("amqp-run")
        let outputPath = directory.file("output")
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if !waitUntil(timeout: timeout, { !process.isRunning }) {
            process.terminate()
            process.waitUntilExit()
        }
        try handle.close()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (process.isRunning ? -1 : process.terminationStatus, text)
    }

    /// Starts the bridge on `spool` with `arguments` after `--spool` and `--url`.
    static func bridge(
        spool: TemporarySpool, url: String, _ arguments: [String],
        environment: [String: String] = [:]
    ) throws -> ChildProcess {
        try ChildProcess(
            ChildProcess.product("ocrspool-amqp"),
            ["--spool", spool.spool.root, "--url", url, "--rescan", "2s", "--settle", "0.2s"]
                + arguments,
            environment: environment, logDirectory: spool.directory.path)
    }

    /// Starts a remote-mode bridge (`--remote --no-ingest`) on `spool` with a
    /// work, reply and result queue of its own named after `label`.
    static func remoteBridge(
        spool: TemporarySpool, url: String, label: String, _ arguments: [String] = []
    ) throws -> (bridge: ChildProcess, workQueue: String) {
        let work = uniqueQueue("work-\(label)")
        let bridge = try self.bridge(
            spool: spool, url: url,
            ["--remote", "--no-ingest", "--work-queue", work,
             "--reply-queue", uniqueQueue("replies-\(label)"),
             "--result-queue", uniqueQueue("unused")] + arguments)
        return (bridge, work)
    }

    /// Starts one real OCR daemon on `spool`.
    static func ocr(spool: TemporarySpool) throws -> ChildProcess {
        try ChildProcess(
            ChildProcess.product("ocrspool-ocr"), ["--spool", spool.spool.root, "--workers", "1"],
            logDirectory: spool.directory.path)
    }

    /// The results in `done/` and `failed/` of `spool`.
    static func results(_ spool: Spool) -> [JobResult] {
        let done = (try? spool.results(in: .done)) ?? []
        let names = done + ((try? spool.results(in: .failed)) ?? [])
        return names.compactMap { spool.result(of: $0) }
    }

    /// Stops a daemon with SIGTERM and returns its exit status.
    @discardableResult
    static func stop(_ child: ChildProcess) -> Int32? {
        child.signal(SIGTERM)
        let status = child.wait(timeout: 30)
        if status == nil { child.kill9() }
        return status
    }
}

struct SupportError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A test's own AMQP client, built on AMQPKit: publishes with confirms and drains queues.
final class TestClient {
    let connection: AMQPConnection
    private var lastChannel: UInt16 = 1

    init(_ url: String) throws {
        connection = try AMQPConnection(url: AMQPURL(url), heartbeat: 0)
        try connection.openChannel(1)
        try connection.enableConfirms(channel: 1)
    }

    /// Publishes each body persistently to `queue` and waits for every confirm.
    func publish(
        _ messages: [(body: [UInt8], properties: AMQPProperties)], to queue: String,
        timeout: Double = 60
    ) throws {
        try connection.declareQueue(queue, channel: 1)
        var last: UInt64 = 0
        for message in messages {
            last = try connection.publish(
                routingKey: queue, properties: message.properties, body: message.body,
                channel: 1)
        }
        var confirmed: UInt64 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while confirmed < last && Date() < deadline {
            if case .confirm(_, let sequence, _, true) = try connection.nextEvent(timeout: 0.5) {
                confirmed = max(confirmed, sequence)
            }
        }
        guard confirmed >= last else {
            throw SupportError("confirms missing: \(confirmed)/\(last)")
        }
    }

    /// Takes every message of `queue` (acknowledging each) until none comes for `quiet` seconds.
    func drain(_ queue: String, quiet: Double = 2, limit: Int = 100_000) throws -> [AMQPDelivery] {
        let channel = try newChannel()
        try connection.declareQueue(queue, channel: channel)
        try connection.setPrefetch(200, channel: channel)
        try connection.consume(queue: queue, channel: channel)
        var deliveries: [AMQPDelivery] = []
        var lastSeen = Date()
        while Date().timeIntervalSince(lastSeen) < quiet && deliveries.count < limit {
            guard case .delivery(let delivery) = try connection.nextEvent(timeout: 0.2) else {
                continue
            }
            try connection.ack(delivery.deliveryTag, channel: channel)
            deliveries.append(delivery)
            lastSeen = Date()
        }
        return deliveries
    }

    /// How many messages `queue` holds now.
    func depth(_ queue: String) throws -> Int {
        try connection.declareQueue(queue, channel: try newChannel())
    }

    private func newChannel() throws -> UInt16 {
        lastChannel += 1
        try connection.openChannel(lastChannel)
        return lastChannel
    }
}
