#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SpoolKit
import Testing
import TestKit

/// The OCR daemon as a real process: crashes are real SIGKILLs, not simulations.
@Suite struct OCRDaemonTests {
    @Test func droppedImagesAreReadAndBadFilesFailWithTheirOwnCode() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let daemon = try startOCR(temporary, ["--workers", "2"])
        let incoming = spool.directory(.incoming)
        let expected: [(file: String, code: String)] = [
            ("ocr/empty.png", "empty_file"), ("ocr/text.png", "unsupported_format"),
            ("ocr/truncated.png", "corrupt_image"), ("ocr/huge.png", "too_large"),
        ]
        for (file, _) in expected {
            try temporary.drop(
                try TestFixtures.bytes(file), as: URL(fileURLWithPath: file).lastPathComponent)
        }
        #expect(symlink("/etc/passwd", "\(incoming)/passwd.png") == 0)
        #expect(mkfifo("\(incoming)/fifo.png", 0o600) == 0)
        #expect(mkdir("\(incoming)/dir.png", 0o700) == 0)

        #expect(waitUntil(timeout: 30) { results(spool).count == expected.count + 3 },
                "got \(results(spool).count) results; log:\n\(daemon.log)")
        for (file, code) in expected {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let result = results(spool).first { $0.originalName == name }
            #expect(result?.error?.code == code,
                    "\(name): got \(String(describing: result?.error)), want \(code)")
        }
        for name in ["passwd.png", "fifo.png", "dir.png"] {
            let result = results(spool).first { $0.originalName == name }
            #expect(result?.error?.code == "not_a_regular_file",
                    "\(name): got \(String(describing: result))")
        }

        let clean = try #require(try TestFixtures.cleanDigits().first)
        try temporary.drop(try TestFixtures.bytes(clean.file), as: "after-bad.png")
        #expect(waitUntil(timeout: 30) {
            results(spool).contains { $0.originalName == "after-bad.png" }
        })
        let good = results(spool).first { $0.originalName == "after-bad.png" }
        #expect(good?.status == .done && good?.digits == clean.digits,
                "got \(String(describing: good?.digits)), want \(clean.digits)")
        #expect(daemon.process.isRunning, "the daemon died on bad input")
        try stopCleanly(daemon)
    }

    @Test func sigtermFinishesOrReturnsJobsInHandAndExitsZero() throws {
        let temporary = try TemporarySpool()
        let daemon = try startOCR(temporary, ["--workers", "2"])
        for index in 0..<40 {
            let fixture = try TestFixtures.cleanDigits()[index % 3]
            try temporary.drop(try TestFixtures.bytes(fixture.file), as: "job-\(index).png")
        }
        usleep(200_000)
        try stopCleanly(daemon)
        #expect(temporary.entries(.processing).isEmpty,
                "left in processing: \(temporary.entries(.processing))")
        let accounted = temporary.entries(.incoming).count + results(temporary.spool).count
        #expect(accounted == 40, "got \(accounted) jobs accounted for, want 40")
    }

    @Test func deadOwnersJobIsRequeuedAtOnceByAnotherDaemon() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        try temporary.drop(slowImage(), as: "slow.pgm")
        let first = try startOCR(temporary, ["--workers", "1", "--timeout", "120s"])
        #expect(waitUntil(timeout: 20) { temporary.entries(.processing).count == 1 })

        let second = try startOCR(
            temporary, ["--workers", "1", "--rescan", "600s", "--timeout", "120s"])
        first.kill9()
        // No rescan or tick is due for seconds: only the owner's close event can be this fast.
        #expect(waitUntil(timeout: 3) { second.log.contains("owner died, job requeued") },
                "second daemon did not take the job back; log:\n\(second.log)")
        let held = temporary.entries(.processing).first ?? temporary.entries(.incoming).first
        let name = try #require(JobName(held ?? ""))
        #expect(spool.meta(of: name).crashes == 1)
        second.kill9()
    }

    @Test func poisonJobLandsInFailedAfterKillingMaxAttemptsWorkers() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        try temporary.drop(slowImage(), as: "poison.pgm")
        let clean = try TestFixtures.cleanDigits()
        for index in 0..<3 {
            try temporary.drop(try TestFixtures.bytes(clean[index].file), as: "fine-\(index).png")
        }

        var kills = 0
        while kills < 5 && !results(spool).contains(where: { $0.originalName == "poison.pgm" }) {
            let daemon = try startOCR(
                temporary, ["--workers", "1", "--max-attempts", "2", "--timeout", "120s"])
            let poisonInHand = waitUntil(timeout: 20) {
                temporary.entries(.processing).contains { $0.hasSuffix("poison.pgm") }
            }
            if poisonInHand {
                daemon.kill9()
                kills += 1
            } else {
                try stopCleanly(daemon)
            }
        }
        let daemon = try startOCR(temporary, ["--workers", "1", "--max-attempts", "2"])
        #expect(waitUntil(timeout: 30) { results(spool).count == 4 }, "log:\n\(daemon.log)")
        let poison = results(spool).first { $0.originalName == "poison.pgm" }
        #expect(poison?.error?.code == "worker_crashed", "got \(String(describing: poison))")
        #expect(poison?.attempts == 2)
        #expect(kills == 2, "got \(kills) kills before the poison job was failed, want 2")
        #expect(results(spool).filter { $0.status == .done }.count == 3)
        try stopCleanly(daemon)
    }

    @Test func repeatedSigkillsDuring500JobsLoseNoneAndFinishNoneTwice() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let clean = try TestFixtures.cleanDigits()
        let images = try clean.map { try TestFixtures.bytes($0.file) }
        for index in 0..<500 {
            try temporary.drop(
                images[index % images.count], as: String(format: "job-%03d.png", index))
        }

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var daemons: [ChildProcess] = []
        let deadline = Date().addingTimeInterval(240)
        while results(spool).count < 500 && Date() < deadline {
            let daemon = try startOCR(temporary, ["--workers", "2", "--max-attempts", "20"])
            daemons.append(daemon)
            // Kill after a random amount of progress rather than time, so a fast
            // machine is disturbed as often as a slow one: always mid-run.
            let target = results(spool).count + Int.random(in: 1...20, using: &generator)
            let cycleEnd = Date().addingTimeInterval(30)
            while results(spool).count < target && Date() < cycleEnd { usleep(5_000) }
            if results(spool).count < 450 {
                daemon.kill9()
                kills += 1
            } else {
                #expect(waitUntil(timeout: 60) { results(spool).count == 500 })
                try stopCleanly(daemon)
            }
        }

        let all = results(spool)
        let names = Set(all.compactMap(\.originalName))
        #expect(all.count == 500, "got \(all.count) results after \(kills) kills, want 500")
        #expect(names.count == 500, "got \(names.count) distinct jobs, want 500")
        #expect(all.allSatisfy { $0.status == .done },
                "failed: \(all.filter { $0.status == .failed })")
        #expect(temporary.entries(.incoming).isEmpty && temporary.entries(.processing).isEmpty)
        #expect(kills >= 5, "got only \(kills) kills: the run was not disturbed")
        // A job read again after it finished would overwrite its own result
        // unseen: the daemons' one line per finished job tells.
        let finished = daemons.flatMap { $0.log.split(separator: "\n") }
            .filter { $0.contains(" job done ") }
            .compactMap { $0.split(separator: " ").first { $0.hasPrefix("job=") } }
        let twice = Dictionary(grouping: finished, by: { $0 }).filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "finished twice: \(twice.keys.prefix(5))")
    }

    @Test func aCopyDroppedUnderAFinishedJobsNameIsReadAsAJobOfItsOwn() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let daemon = try startOCR(temporary, ["--workers", "1"])
        let clean = try TestFixtures.cleanDigits()
        try temporary.drop(try TestFixtures.bytes(clean[0].file), as: "first.png")
        #expect(waitUntil(timeout: 20) { results(spool).count == 1 }, "log:\n\(daemon.log)")
        let first = try #require(results(spool).first)

        try temporary.drop(try TestFixtures.bytes(clean[1].file), as: first.id)
        #expect(waitUntil(timeout: 20) { results(spool).count == 2 }, "log:\n\(daemon.log)")
        let again = try #require(JobName(first.id))
        #expect(spool.result(of: again)?.digits == clean[0].digits, "first result replaced")
        #expect(Set(results(spool).map(\.digits)) == [clean[0].digits, clean[1].digits])
        try stopCleanly(daemon)
        let restarted = try startOCR(temporary, ["--workers", "1"])
        try stopCleanly(restarted)
    }

    @Test func twoDaemonsShareOneSpoolAndEachJobIsReadOnce() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let first = try startOCR(temporary, ["--workers", "1"])
        let second = try startOCR(temporary, ["--workers", "1"])
        let clean = try TestFixtures.cleanDigits()
        for index in 0..<60 {
            try temporary.drop(
                try TestFixtures.bytes(clean[index % clean.count].file), as: "shared-\(index).png")
        }
        #expect(waitUntil(timeout: 60) { results(spool).count == 60 })
        try stopCleanly(first)
        try stopCleanly(second)
        let finished = [first, second].map { $0.log.components(separatedBy: "job done").count - 1 }
        #expect(finished.reduce(0, +) == 60, "got \(finished) jobs done by each, want 60 in all")
        #expect(Set(results(spool).compactMap(\.originalName)).count == 60)
    }

    @Test func pollingModeReadsDroppedImagesWithoutInotify() throws {
        let temporary = try TemporarySpool()
        let daemon = try startOCR(temporary, ["--workers", "1", "--poll", "--settle", "0.2s"])
        let clean = try #require(try TestFixtures.cleanDigits().first)
        try temporary.drop(try TestFixtures.bytes(clean.file), as: "polled.png")
        #expect(waitUntil(timeout: 20) { results(temporary.spool).count == 1 },
                "log:\n\(daemon.log)")
        #expect(results(temporary.spool).first?.digits == clean.digits)
        let descriptors = "/proc/\(daemon.process.processIdentifier)/fd"
        let targets = try FileManager.default.contentsOfDirectory(atPath: descriptors)
            .compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptors)/\($0)")
            }
        #expect(!targets.isEmpty, "no descriptors read from \(descriptors)")
        #expect(!targets.contains("anon_inode:inotify"),
                "--poll holds an inotify instance: \(targets)")
        try stopCleanly(daemon)
    }

    @Test func fileCopiedInUnderANameThatIsNotUTF8IsReadUnderACleanName() throws {
        let temporary = try TemporarySpool()
        let daemon = try startOCR(temporary, ["--workers", "1"])
        let clean = try #require(try TestFixtures.cleanDigits().first)
        // Written in place, as cp does, under "meter\xff.png".
        let path = Array(temporary.spool.directory(.incoming).utf8CString.dropLast())
            + Array("/meter".utf8CString.dropLast()) + [CChar(bitPattern: 0xff)]
            + Array(".png".utf8CString)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        try #require(fd >= 0, "open: errno \(errno)")
        let bytes = try TestFixtures.bytes(clean.file)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)

        #expect(waitUntil(timeout: 60) { !results(temporary.spool).isEmpty },
                "no result; incoming: \(temporary.entries(.incoming)); log:\n\(daemon.log)")
        let result = results(temporary.spool).first
        #expect(result?.originalName == "meter_.png", "got \(String(describing: result))")
        #expect(result?.digits == clean.digits)
        #expect(temporary.entries(.incoming).isEmpty, "left: \(temporary.entries(.incoming))")
        try stopCleanly(daemon)
    }

    // MARK: helpers

    private func startOCR(
        _ temporary: TemporarySpool, _ arguments: [String]
    ) throws -> ChildProcess {
        let daemon = try ChildProcess(
            ChildProcess.product("ocrspool-ocr"), ["--spool", temporary.spool.root] + arguments,
            logDirectory: temporary.directory.path)
        let settled = waitUntil(timeout: 30) {
            daemon.log.contains(" started ") || !daemon.process.isRunning
        }
        guard settled,
            daemon.process.isRunning
        else {
            throw TestFailure("ocrspool-ocr did not start; log:\n\(daemon.log)")
        }
        return daemon
    }

    private func stopCleanly(_ daemon: ChildProcess) throws {
        daemon.signal(SIGTERM)
        let status = daemon.wait(timeout: 30)
        #expect(status == 0,
                "got exit \(String(describing: status)) after SIGTERM; log:\n\(daemon.log)")
    }

    /// An image big and noisy enough that reading it takes seconds: a worker is
    /// reliably caught holding it. PGM, so the test needs no encoder.
    private func slowImage() -> [UInt8] {
        let width = 2400, height = 1800
        var generator = SystemRandomNumberGenerator()
        var bytes = Array("P5\n\(width) \(height)\n255\n".utf8)
        bytes.reserveCapacity(bytes.count + width * height)
        for _ in 0..<(width * height / 8) {
            let random = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: random >> shift))
            }
        }
        return bytes
    }
}

/// Every result in `done/` and `failed/`.
func results(_ spool: Spool) -> [JobResult] {
    let names = ((try? spool.results(in: .done)) ?? []) + ((try? spool.results(in: .failed)) ?? [])
    return names.compactMap { spool.result(of: $0) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
