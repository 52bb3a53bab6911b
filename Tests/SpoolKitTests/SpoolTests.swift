#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation
import Testing
import TestKit
@testable import SpoolKit

/// Each test names the spool rule of DESIGN.md it guards.
@Suite struct SpoolTests {
    let image: [UInt8] = Array("\u{89}PNG\r\n\u{1a}\n fake image bytes".utf8)

    // Rule 1: nothing half-written is ever read.
    @Test func stagedJobIsInvisibleUntilCommitted() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let writer = try spool.beginJob(tail: "png")
        try writer.write(image)
        #expect(temporary.entries(.incoming).isEmpty,
                "got \(temporary.entries(.incoming)) before commit")
        #expect(temporary.entries(.tmp) == ["\(writer.name).part"])

        let name = try writer.commit(meta: JobMeta(source: .cli, expected: "42"))
        #expect(temporary.entries(.incoming) == [name.string])
        #expect(temporary.entries(.tmp).isEmpty)
        #expect(spool.meta(of: name).expected == "42")
    }

    @Test func abortedOrDroppedWriterLeavesNothing() throws {
        let temporary = try TemporarySpool()
        let first = try temporary.spool.beginJob(tail: "png")
        try first.write(image)
        first.abort()
        do {
            let second = try temporary.spool.beginJob()
            try second.write(image)
        }
        for queue in Queue.allCases {
            #expect(temporary.entries(queue).isEmpty, "got \(temporary.entries(queue)) in \(queue)")
        }
    }

    @Test(arguments: [".x.png", "a.png.part", "a.png.tmp", "a.png~"])
    func inProgressNamesAreNeverClaimed(name: String) throws {
        let temporary = try TemporarySpool()
        try temporary.drop(image, as: name)
        guard case .ignored = try temporary.spool.claim(name) else {
            Issue.record("claim of \(name) did not ignore it")
            return
        }
        #expect(temporary.entries(.incoming) == [name])
    }

    @Test func staleStagedFilesAreRemovedAndFreshOnesKept() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let old = "\(spool.directory(.tmp))/old.part"
        let fresh = "\(spool.directory(.tmp))/fresh.part"
        FileManager.default.createFile(atPath: old, contents: Data(image))
        FileManager.default.createFile(atPath: fresh, contents: Data(image))
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old)

        let report = try spool.recover(maxAttempts: 3, staleAfter: 3600)
        #expect(report.removed == ["tmp/old.part"])
        #expect(temporary.entries(.tmp) == ["fresh.part"])
    }

    // Rule 2: exactly one owner.
    @Test func onlyOneOfManyConcurrentClaimersWins() throws {
        for round in 0..<20 {
            let temporary = try TemporarySpool()
            try temporary.drop(image, as: "race-\(round).png")
            let wins = Counter()
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                if case .claimed(let claim)? = try? temporary.spool.claim("race-\(round).png") {
                    wins.add()
                    withExtendedLifetime(claim) { usleep(20_000) }
                }
            }
            #expect(wins.value == 1, "round \(round): got \(wins.value) owners, want 1")
        }
    }

    @Test func ownedJobIsLeftAloneAndReleasedJobIsTakenBack() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        try temporary.drop(image, as: "a.png")
        guard case .claimed(let claim) = try spool.claim("a.png") else {
            Issue.record("claim failed")
            return
        }
        #expect(try spool.recoverOrphan(claim.name.string, maxAttempts: 3) == .owned)
        claim.close()
        #expect(try spool.recoverOrphan(claim.name.string, maxAttempts: 3) == .returned)
        #expect(temporary.entries(.incoming) == [claim.name.string])
        #expect(spool.meta(of: claim.name).crashes == 1)
    }

    // Rule 3: no job lost or done twice; the result file is the commit record.
    @Test func resultWrittenBeforeACrashCompletesTheMoveInsteadOfRedoingTheJob() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        try temporary.drop(image, as: "a.png")
        guard case .claimed(let claim) = try spool.claim("a.png") else {
            Issue.record("claim failed")
            return
        }
        let result = JobResult(
            id: claim.name.string, status: .done, digits: "7", source: .drop,
            submittedAt: Date(), attempts: 1)
        try spool.writeResult(result, queue: .done, name: claim.name)
        claim.close()

        #expect(try spool.recoverOrphan(claim.name.string, maxAttempts: 3) == .completed)
        #expect(temporary.entries(.done) == [claim.name.string, "\(claim.name).json"])
        #expect(temporary.entries(.incoming).isEmpty && temporary.entries(.processing).isEmpty)
    }

    @Test func finishedJobIsInExactlyOneQueue() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let name = try spool.submit(image, tail: "png", meta: JobMeta(source: .cli))
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            Issue.record("claim failed")
            return
        }
        #expect(spool.state(of: name) == .processing)
        let result = JobResult.failure(name, meta: claim.meta, code: "corrupt_image", message: "x",
                                       attempts: 1)
        try spool.finish(claim, result: result)
        #expect(spool.state(of: name).label == "failed")
        #expect(temporary.entries(.failed) == [name.string, "\(name).json"])
        for queue in [Queue.incoming, .processing, .done, .meta, .tmp] {
            #expect(temporary.entries(queue).isEmpty, "got \(temporary.entries(queue)) in \(queue)")
        }
    }

    // Rule 4: a poison job cannot wedge the system.
    @Test func jobThatKeepsKillingWorkersFailsAfterMaxAttempts() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        try temporary.drop(image, as: "poison.png")
        var name: JobName?
        for attempt in 1...3 {
            let entry = name?.string ?? "poison.png"
            guard case .claimed(let claim) = try spool.claim(entry) else {
                Issue.record("attempt \(attempt): claim failed")
                return
            }
            name = claim.name
            claim.close()
            let outcome = try spool.recoverOrphan(claim.name.string, maxAttempts: 3)
            #expect(outcome == (attempt < 3 ? .returned : .failed),
                    "attempt \(attempt): got \(outcome)")
        }
        let poisoned = try #require(name)
        let result = try #require(spool.result(of: poisoned))
        #expect(result.error?.code == "worker_crashed")
        #expect(result.attempts == 3)
    }

    // Rule 5: same name, no overwrite.
    @Test func twoDropsUnderOneNameAreTwoJobs() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        var names: [JobName] = []
        for content in ["first", "second"] {
            try temporary.drop(Array(content.utf8), as: "same.png")
            guard case .claimed(let claim) = try spool.claim("same.png") else {
                Issue.record("claim failed")
                return
            }
            #expect(try claim.readImage(limit: 100) == Array(content.utf8))
            names.append(claim.name)
            try spool.finish(claim, result: JobResult(
                id: claim.name.string, status: .done, source: .drop, submittedAt: Date(),
                attempts: 1))
        }
        #expect(names[0] != names[1])
        #expect(temporary.entries(.done).count == 4, "got \(temporary.entries(.done))")
    }

    @Test func finishNeverReplacesAnExistingImage() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let name = try spool.submit(image, meta: JobMeta(source: .cli))
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            Issue.record("claim failed")
            return
        }
        FileManager.default.createFile(
            atPath: spool.path(.done, name), contents: Data("other".utf8))
        #expect(throws: SystemError.self) {
            try spool.finish(claim, result: JobResult(
                id: name.string, status: .done, source: .cli, submittedAt: Date(), attempts: 1))
        }
        #expect(FileManager.default.contents(atPath: spool.path(.done, name)) == Data("other".utf8))
        #expect(!FileManager.default.fileExists(atPath: spool.resultPath(.done, name)),
                "a result was written beside an image that is not this job's")
    }

    @Test func aCopyDroppedUnderAFinishedJobsNameIsAJobOfItsOwn() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let first = try finishedJob(spool, digits: "111")
        try temporary.drop(image, as: first.string)

        guard case .claimed(let claim) = try spool.claim(first.string) else {
            Issue.record("the copy was not claimed")
            return
        }
        #expect(claim.name != first, "got the finished job's name \(first) for its copy")
        try spool.finish(claim, result: JobResult(
            id: claim.name.string, status: .done, digits: "222", source: .drop,
            submittedAt: Date(), attempts: 1))
        #expect(spool.result(of: first)?.digits == "111", "the first job's result was replaced")
        #expect(spool.result(of: claim.name)?.digits == "222")
    }

    @Test func orphanUnderAFinishedJobsNameGoesBackAsAJobOfItsOwn() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let first = try finishedJob(spool, digits: "111")
        // What an earlier version left: a second file of that name, owner dead.
        FileManager.default.createFile(
            atPath: spool.path(.processing, first), contents: Data(image))

        let report = try spool.recover(maxAttempts: 3)
        #expect(report.returned == [first.string], "got \(report)")
        #expect(report.problems.isEmpty, "got \(report.problems)")
        let requeued = temporary.entries(.incoming)
        #expect(requeued.count == 1 && requeued.first != first.string, "got \(requeued)")
        #expect(spool.result(of: first)?.digits == "111", "the first job's result was touched")
    }

    @Test func entriesNamedInBytesThatAreNotUTF8AreRenamedSoTheyCanBeClaimed() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let incoming = Array(spool.directory(.incoming).utf8CString.dropLast())
        for name in [Array("/a".utf8CString.dropLast()), Array("/.b".utf8CString.dropLast())] {
            let path = incoming + name + [CChar(bitPattern: 0xfe)] + Array(".png".utf8CString)
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
            try #require(fd >= 0, "open: errno \(errno)")
            close(fd)
        }
        try temporary.drop(image, as: "a_.png")

        #expect(try spool.renameUndecodableEntries() == ["_a_.png"])
        guard case .claimed(let claim) = try spool.claim("_a_.png") else {
            Issue.record("claim of the renamed entry failed")
            return
        }
        claim.close()
        // The hidden one is still being written: its writer will rename it.
        #expect(temporary.entries(.incoming).filter { $0.hasPrefix(".b") }.count == 1)
    }

    // Rule 7: nothing outside the spool is touched.
    @Test(arguments: ["symlink", "fifo", "directory", "hardlink", "socket"])
    func nonRegularEntriesAreRefusedNeverFollowed(kind: String) throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let outside = temporary.directory.file("outside.png")
        FileManager.default.createFile(atPath: outside, contents: Data(image))
        let entry = "\(spool.directory(.incoming))/evil"
        switch kind {
        case "symlink": #expect(symlink(outside, entry) == 0)
        case "fifo": #expect(mkfifo(entry, 0o600) == 0)
        case "directory": #expect(mkdir(entry, 0o700) == 0)
        case "hardlink": #expect(link(outside, entry) == 0)
        default:
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                _ = entry.utf8CString.withUnsafeBytes {
                    memcpy(raw.baseAddress!, $0.baseAddress!, $0.count)
                }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            #expect(bound == 0)
        }

        guard case .refused(let name, _) = try spool.claim("evil") else {
            Issue.record("\(kind) was not refused")
            return
        }
        #expect(spool.result(of: name)?.error?.code == "not_a_regular_file")
        #expect(temporary.entries(.incoming).isEmpty)
        #expect(FileManager.default.contents(atPath: outside) == Data(image),
                "outside file changed")
        #expect(temporary.entries(.processing).isEmpty)
    }

    @Test func retryPutsAFailedJobBackUnderItsName() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let name = try spool.submit(image, meta: JobMeta(source: .http, expected: "12"))
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            Issue.record("claim failed")
            return
        }
        try spool.finish(claim, result: JobResult.failure(
            name, meta: claim.meta, code: "timeout", message: "slow", attempts: 1))
        #expect(try spool.retry(name))
        #expect(spool.state(of: name) == .queued)
        #expect(spool.meta(of: name).expected == "12")
        #expect(spool.meta(of: name).source == .http)
        let again = try spool.retry(name)
        #expect(!again, "a queued job was retried again")
    }

    @Test func retryInterruptedAfterRemovingTheResultIsRequeuedByRecovery() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let name = try failedJob(spool, expected: "12")
        // What a retry leaves when it dies between its two steps.
        try spool.writeMeta(JobMeta(source: .http, expected: "12"), for: name)
        try FileSystem.unlink(spool.resultPath(.failed, name))

        let report = try spool.recover(maxAttempts: 3)
        #expect(report.retried == [name.string], "got \(report)")
        #expect(temporary.entries(.incoming) == [name.string])
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            Issue.record("claim failed")
            return
        }
        #expect(claim.name == name, "got \(claim.name), want the job's own name")
        #expect(claim.meta.expected == "12")
        claim.close()
    }

    @Test func resultOfAJobBeingFinishedSurvivesARecoveryPass() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let name = try spool.submit(image, tail: "png", meta: JobMeta(source: .cli))
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            Issue.record("claim failed")
            return
        }
        // The worker has written its commit record and not yet moved the image.
        let result = JobResult.failure(
            name, meta: claim.meta, code: "corrupt_image", message: "x", attempts: 1)
        try spool.writeResult(result, queue: .failed, name: name)

        _ = try spool.recover(maxAttempts: 3)
        #expect(FileSystem.exists(spool.resultPath(.failed, name)), "recovery removed the result")
        try spool.finish(claim, result: result)
        #expect(spool.result(of: name)?.error?.code == "corrupt_image")
    }

    @Test func imageKeptByRetentionIsNeverTakenForAnInterruptedRetry() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let name = try failedJob(spool, expected: "12")
        // A meta file left behind by a finish that died after moving the image.
        try spool.writeMeta(JobMeta(source: .http, expected: "12"), for: name)

        #expect(try spool.pruneFinished(name, from: .failed, keepImage: true))
        let report = try spool.recover(maxAttempts: 3)
        #expect(report.retried.isEmpty, "got \(report)")
        #expect(temporary.entries(.failed) == [name.string])
        #expect(temporary.entries(.incoming).isEmpty)
    }

    /// A job submitted with `expected`, claimed and finished as failed.
    private func failedJob(_ spool: Spool, expected: String) throws -> JobName {
        let meta = JobMeta(source: .http, expected: expected)
        let name = try spool.submit(image, tail: "png", meta: meta)
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            throw CocoaError(.fileLocking)
        }
        try spool.finish(claim, result: JobResult.failure(
            name, meta: claim.meta, code: "timeout", message: "slow", attempts: 1))
        return name
    }

    /// A job submitted, claimed and finished as done with `digits`.
    private func finishedJob(_ spool: Spool, digits: String) throws -> JobName {
        let name = try spool.submit(image, tail: "png", meta: JobMeta(source: .cli))
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            throw CocoaError(.fileLocking)
        }
        try spool.finish(claim, result: JobResult(
            id: name.string, status: .done, digits: digits, source: .cli, submittedAt: Date(),
            attempts: 1))
        return name
    }
}

/// A thread-safe counter for concurrency tests.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
