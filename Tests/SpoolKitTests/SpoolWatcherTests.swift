#if canImport(Glibc)
import Glibc
#endif
import CInotifyTools
import Foundation
import Testing
import TestKit
@testable import SpoolKit

/// Rule 1 and rule 6: inotify is the fast path, never the only path.
@Suite struct SpoolWatcherTests {
    @Test func copiedFileIsReportedWhenItsWriterClosesNotBefore() throws {
        let temporary = try TemporarySpool()
        let (watcher, seen) = try watchIncoming(temporary, .init(rescanInterval: 600, settle: 600))
        defer { watcher.stop() }

        let path = "\(temporary.spool.directory(.incoming))/slow.png"
        let fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0o644)
        #expect(fd >= 0)
        #expect(write(fd, [UInt8](repeating: 1, count: 1000), 1000) == 1000)
        usleep(300_000)
        #expect(!seen.contains("slow.png"), "reported while its writer still had it open")
        close(fd)
        #expect(waitUntil(timeout: 2) { seen.contains("slow.png") }, "not reported after close")
    }

    @Test func renamedInFileIsReported() throws {
        let temporary = try TemporarySpool()
        let (watcher, seen) = try watchIncoming(temporary, .init(rescanInterval: 600, settle: 600))
        defer { watcher.stop() }
        let staged = temporary.directory.file("x.png")
        _ = create(staged)
        #expect(rename(staged, "\(temporary.spool.directory(.incoming))/x.png") == 0)
        #expect(waitUntil(timeout: 2) { seen.contains("x.png") })
    }

    @Test func startupScanReportsSettledFilesAndLaterOnesOnceSettled() throws {
        let temporary = try TemporarySpool()
        let incoming = temporary.spool.directory(.incoming)
        _ = create("\(incoming)/old.png")
        let old = Date().addingTimeInterval(-60)
        try FileManager.default.setAttributes(
            [.modificationDate: old], ofItemAtPath: "\(incoming)/old.png")
        usleep(300_000)
        _ = create("\(incoming)/new.png")

        let (watcher, seen) = try watchIncoming(temporary, .init(rescanInterval: 600, settle: 0.25))
        defer { watcher.stop() }
        #expect(seen.contains("old.png"), "start-up scan missed a settled file")
        #expect(waitUntil(timeout: 3) { seen.contains("new.png") }, "settling file never reported")
    }

    @Test func pollingModeWaitsUntilAFileHoldsStill() throws {
        let temporary = try TemporarySpool()
        let (watcher, seen) = try watchIncoming(
            temporary, .init(polling: true, pollInterval: 0.05, settle: 0.4))
        defer { watcher.stop() }

        let path = "\(temporary.spool.directory(.incoming))/growing.png"
        let fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0o644)
        #expect(fd >= 0)
        for _ in 0..<8 {
            #expect(write(fd, [UInt8](repeating: 2, count: 100), 100) == 100)
            usleep(100_000)
            #expect(!seen.contains("growing.png"), "reported while still growing")
        }
        close(fd)
        #expect(waitUntil(timeout: 3) { seen.contains("growing.png") })
    }

    @Test func periodicRescanReportsWhatNoEventAnnounced() throws {
        let temporary = try TemporarySpool()
        let (watcher, seen) = try watchIncoming(temporary, .init(rescanInterval: 0.2, settle: 0))
        defer { watcher.stop() }
        // A hard link made from outside announces a regular file with IN_CREATE
        // alone: the watcher waits for a close that never comes, so only a scan finds it.
        let outside = temporary.directory.file("quiet.png")
        _ = create(outside)
        #expect(link(outside, "\(temporary.spool.directory(.incoming))/quiet.png") == 0)
        #expect(waitUntil(timeout: 3) { seen.contains("quiet.png") }, "rescan never reported it")
    }

    @Test func queueOverflowTriggersAFullRescan() throws {
        let temporary = try TemporarySpool()
        let (watcher, seen) = try watchIncoming(temporary, .init(rescanInterval: 600, settle: 0))
        defer { watcher.stop() }
        let outside = temporary.directory.file("lost.png")
        _ = create(outside)
        #expect(link(outside, "\(temporary.spool.directory(.incoming))/lost.png") == 0)
        usleep(200_000)
        #expect(!seen.contains("lost.png"), "reported without a rescan")

        watcher.deliver(InotifyEvent(mask: UInt32(IN_Q_OVERFLOW), name: ""))
        #expect(waitUntil(timeout: 2) { seen.contains("lost.png") }, "overflow did not rescan")
    }

    @Test func resultWaiterWakesWhenTheResultLands() throws {
        let temporary = try TemporarySpool()
        let spool = temporary.spool
        let waiter = try ResultWaiter(spool: spool)
        let name = try spool.submit([1, 2, 3], meta: JobMeta(source: .cli))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) {
            guard case .claimed(let claim)? = try? spool.claim(name.string) else { return }
            try? spool.finish(claim, result: JobResult(
                id: name.string, status: .done, digits: "123", source: .cli, submittedAt: Date(),
                attempts: 1))
        }
        let started = Date()
        let result = waiter.wait(for: name, timeout: 10)
        #expect(result?.digits == "123")
        #expect(Date().timeIntervalSince(started) < 5, "woke only at the timeout")
    }

    /// A started watcher on `incoming/` and the names it has reported so far.
    private func watchIncoming(
        _ temporary: TemporarySpool, _ settings: SpoolWatcher.Settings
    ) throws -> (SpoolWatcher, Names) {
        let seen = Names()
        let watcher = SpoolWatcher(spool: temporary.spool, queue: .incoming, settings: settings) {
            seen.add($0)
        }
        try watcher.start()
        return (watcher, seen)
    }

    private func create(_ path: String) -> String {
        FileManager.default.createFile(atPath: path, contents: Data([0x89]))
        return path
    }
}

/// Names reported by a watcher, collected across threads.
final class Names: @unchecked Sendable {
    private let lock = NSLock()
    private var names: Set<String> = []
    func add(_ new: [String]) {
        lock.lock()
        names.formUnion(new)
        lock.unlock()
    }
    func contains(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return names.contains(name)
    }
}
