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
        let output = try run("/usr/bin/env", ["python3", referenceClient] + arguments, timeout: timeout)
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

    /// Starts one real OCR daemon on `spool`.
    static func ocr(spool: TemporarySpool) throws -> ChildProcess {
        try ChildProcess(
            ChildProcess.product("ocrspool-ocr"), ["--spool", spool.spool.root, "--workers", "1"],
            logDirectory: spool.directory.path)
    }

    /// The results in `done/` and `failed/` of `spool`.
    static func results(_ spool: Spool) -> [JobResult] {
        let names = ((try? spool.results(in: .done)) ?? []) + ((try? spool.results(in: .failed)) ?? [])
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
