import Foundation
import SpoolKit
import TestKit

/// One `ocrspool-upload` process for one test: its own spool, port and logs,
/// stopped with SIGTERM (then SIGKILL) on release.
final class UploadDaemon: @unchecked Sendable {
    let spool: TemporarySpool
    let port: UInt16
    let process: ChildProcess

    /// The repository's upload page.
    static var www: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("www").path
    }

    /// Starts the daemon on a free loopback port (or `listen`) with `arguments` added.
    init(_ arguments: [String] = [], listen: String? = nil, spool: TemporarySpool? = nil)
        throws
    {
        self.spool = try spool ?? TemporarySpool("upload")
        port = freePort()
        process = try ChildProcess(
            ChildProcess.product("ocrspool-upload"),
            ["--spool", self.spool.spool.root, "--listen", listen ?? "127.0.0.1:\(port)",
             "--www", UploadDaemon.www] + arguments,
            logDirectory: self.spool.directory.path)
        if listen == nil {
            let up = waitUntil(timeout: 20) {
                (try? RawHTTP.request(.tcp(port), "GET", "/healthz", timeout: 2))?.status == 200
            }
            guard up else { throw DaemonError(log: process.log) }
        }
    }

    deinit {
        process.signal(SIGTERM)
        if process.wait(timeout: 10) == nil { process.kill9() }
    }

    var target: RawHTTP.Target { .tcp(port) }

    /// The entries of the queues a refused upload must leave alone.
    func snapshot() -> [String] {
        [Queue.tmp, .incoming, .meta].flatMap { queue in
            spool.entries(queue).map { "\(queue.rawValue)/\($0)" }
        }
    }

    struct DaemonError: Error, CustomStringConvertible {
        var log: String
        var description: String { "ocrspool-upload did not come up:\n\(log)" }
    }
}

/// A value computed on another thread, for requests that block while the test acts.
final class Background<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, any Error>?

    init(_ work: @escaping @Sendable () throws -> Value) {
        Thread.detachNewThread { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    /// Waits up to `timeout` seconds for the value.
    func value(timeout: Double) throws -> Value {
        guard done.wait(timeout: .now() + timeout) == .success, let result else {
            throw CocoaError(.userCancelled)
        }
        return try result.get()
    }
}

extension Spool {
    /// Finishes `name` as an OCR worker would, with `digits` read.
    func finishForTest(_ name: JobName, digits: String) throws {
        guard case .claimed(let claim) = try claim(name.string) else {
            throw CocoaError(.fileLocking)
        }
        var result = JobResult(
            id: claim.name.string, status: .done, text: digits, digits: digits,
            numbers: [digits], confidence: 93, expected: claim.meta.expected,
            source: claim.meta.source, submittedAt: claim.meta.submittedAt, attempts: 1)
        result.carry(claim.meta)
        result.startedAt = claim.startedAt
        try finish(claim, result: result)
    }
}

/// A clean printed-number fixture and the digits it shows.
enum Images {
    static func clean() throws -> [UInt8] { try TestFixtures.bytes("ocr/0000-clean.png") }
    static let cleanDigits = "06018"
    static func jpeg() throws -> [UInt8] { try TestFixtures.bytes("ocr/0004-jpeg.jpg") }
}
