import Foundation
import SpoolKit
import Testing
import TestKit

/// The OCR daemon's heartbeat also stops when a worker is held by one job past
/// `--stall-after`: a main loop that still ticks is not enough to be alive.
@Suite("OCR worker stall withholds the watchdog")
struct WorkStallWatchdogTests {
    @Test func workerHeldPastStallAfterSilencesWatchdogUntilItMovesAgain() throws {
        let spool = try TemporarySpool("systemd-stall")
        let notify = try NotifySocket(path: spool.directory.file("notify.sock"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ChildProcess.product("ocrspool-ocr"))
        process.arguments = [
            "--spool", spool.spool.root, "--workers", "1", "--timeout", "3s",
            "--stall-after", "0.5s",
        ]
        process.environment = [
            "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
        ]
        let logPath = spool.directory.file("ocr.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
        func watchdogs(after index: Int) -> Int {
            notify.messages.filter { $0.index > index && $0.fields["WATCHDOG"] == "1" }.count
        }

        let ready = try #require(notify.wait(for: "READY", value: "1", timeout: 30), "\(log())")
        #expect(waitUntil(timeout: 5) { watchdogs(after: ready.index) >= 2 })

        // A noisy image holds the one worker until its 3 s deadline.
        try spool.drop(Self.slowImage(), as: "slow.pgm")
        #expect(waitUntil(timeout: 20) { log().contains("work stalled, watchdog withheld") },
                "no stall logged\n\(log())")
        let silencedFrom = notify.messages.count - 1
        usleep(1_200_000)
        let during = watchdogs(after: silencedFrom)
        #expect(!log().contains("job=slow") && !log().contains(".slow.pgm"),
                "the job ended within the window; the image is not slow enough\n\(log())")
        #expect(during == 0, "WATCHDOG=1 while the worker was stalled: got \(during)")

        #expect(waitUntil(timeout: 30) { log().contains("work moving again") },
                "the watchdog never resumed\n\(log())")
        let resumedFrom = notify.messages.count - 1
        #expect(waitUntil(timeout: 5) { watchdogs(after: resumedFrom) >= 1 })
        kill(process.processIdentifier, SIGTERM)
        #expect(waitUntil(timeout: 20) { !process.isRunning }, "\(log())")
    }

    /// A 900x675 PGM of random grey: Tesseract works on it past a 3 s deadline.
    static func slowImage() -> [UInt8] {
        let width = 900, height = 675
        var generator = SystemRandomNumberGenerator()
        let header = Array("P5\n\(width) \(height)\n255\n".utf8)
        let pixels = (0..<width * height).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return header + pixels
    }
}
