#if canImport(Glibc)
import Glibc
#endif
import CInotifyTools
import DaemonKit
import Foundation

/// One inotify event, with the entry name it concerns.
struct InotifyEvent: Sendable {
    var mask: UInt32
    var name: String
    /// The kernel's event queue overflowed: events were lost, rescan everything.
    var isOverflow: Bool { mask & UInt32(IN_Q_OVERFLOW) != 0 }
}

/// The process's single inotify instance, through libinotifytools.
///
/// libinotifytools keeps its state in globals, so one hub per process owns it:
/// every call into the library (adding and removing watches) happens under
/// `lock`, and one thread waits for events with `poll(2)` on the library's
/// descriptor, reads them and hands each to the subscribers of its watch.
final class InotifyHub: @unchecked Sendable {
    typealias Handler = @Sendable (InotifyEvent) -> Void

    private struct Subscriber {
        var mask: UInt32
        var handler: Handler
    }

    /// A subscription, to give back to `unwatch`.
    struct Token: Hashable, Sendable {
        fileprivate var wd: Int32
        fileprivate var id: Int
    }

    private let lock = NSLock()
    private let fd: Int32
    private var subscribers: [Int32: [Int: Subscriber]] = [:]
    private var nextID = 0

    /// The hub, started on first use; throws the start-up error on every use if it failed.
    static func shared() throws -> InotifyHub {
        try sharedHub.get()
    }

    private static let sharedHub: Result<InotifyHub, any Error> = Result { try InotifyHub() }

    private init() throws {
        let before = InotifyHub.inotifyDescriptors()
        guard inotifytools_initialize() != 0 else {
            throw SystemError("inotify_init", errno: inotifytools_error())
        }
        // libinotifytools does not hand out its descriptor, which `poll` needs;
        // it is the one inotify descriptor that initialising it added.
        guard let fd = InotifyHub.inotifyDescriptors().subtracting(before).first else {
            throw SystemError("find libinotifytools descriptor", errno: EBADF)
        }
        self.fd = fd
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "ocrspool.inotify"
        thread.start()
    }

    /// Watches `directory` for `mask` events; `handler` runs on the hub's thread
    /// and must return quickly.
    func watch(_ directory: String, mask: UInt32, handler: @escaping Handler) throws -> Token {
        lock.lock()
        defer { lock.unlock() }
        let key = directory.hasSuffix("/") ? directory : directory + "/"
        var wd = inotifytools_wd_from_filename(key)
        let existing = wd > 0 ? (subscribers[wd] ?? [:]).values.reduce(0) { $0 | $1.mask } : 0
        let wanted = existing | mask | UInt32(IN_ONLYDIR)
        if wd <= 0 || wanted & ~existing != 0 {
            guard inotifytools_watch_file(key, Int32(bitPattern: wanted)) != 0 else {
                throw SystemError(
                    "inotify_add_watch", paths: [directory], errno: inotifytools_error())
            }
            wd = inotifytools_wd_from_filename(key)
        }
        nextID += 1
        subscribers[wd, default: [:]][nextID] = Subscriber(mask: mask, handler: handler)
        return Token(wd: wd, id: nextID)
    }

    /// Ends a subscription; the kernel watch goes when its last subscriber does.
    func unwatch(_ token: Token) {
        lock.lock()
        defer { lock.unlock() }
        subscribers[token.wd]?[token.id] = nil
        if subscribers[token.wd]?.isEmpty == true {
            subscribers[token.wd] = nil
            _ = inotifytools_remove_watch_by_wd(token.wd)
        }
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, -1)
            // Only a signal may interrupt the wait; anything else means the
            // library's descriptor is broken, and looping would spin a core.
            precondition(
                ready > 0 || errno == EINTR, "poll on the inotify descriptor: errno \(errno)")
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress!, raw.count)
            }
            guard count > 0 else { continue }
            for (event, handlers) in dispatch(buffer, count: count) {
                for handler in handlers { handler(event) }
            }
        }
    }

    /// Splits what one `read` returned into events and pairs each with its handlers.
    ///
    /// The events are read here rather than with `inotifytools_next_event`, which
    /// in this version blocks in `select` whatever its timeout and so could not
    /// share the library's lock with `watch`.
    private func dispatch(_ buffer: [UInt8], count: Int) -> [(InotifyEvent, [Handler])] {
        lock.lock()
        defer { lock.unlock() }
        var deliveries: [(InotifyEvent, [Handler])] = []
        buffer.withUnsafeBytes { raw in
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let pointer = (raw.baseAddress! + offset)
                    .assumingMemoryBound(to: inotify_event.self)
                let event = InotifyEvent(
                    mask: pointer.pointee.mask,
                    name: String(cString: ocrspool_inotify_event_name(pointer)))
                offset += header + Int(pointer.pointee.len)
                let targets: [Subscriber]
                if event.isOverflow {
                    targets = subscribers.values.flatMap { $0.values }
                } else {
                    targets = (subscribers[pointer.pointee.wd] ?? [:]).values.filter {
                        $0.mask & event.mask != 0 || event.mask & UInt32(IN_IGNORED) != 0
                    }
                }
                deliveries.append((event, targets.map(\.handler)))
            }
        }
        return deliveries
    }

    /// The open descriptors of this process that are inotify instances.
    private static func inotifyDescriptors() -> Set<Int32> {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return Set(entries.compactMap { entry in
            guard let number = Int32(entry),
                let target = try? FileManager.default.destinationOfSymbolicLink(
                    atPath: "/proc/self/fd/\(entry)")
            else { return nil }
            return target == "anon_inode:inotify" ? number : nil
        })
    }
}
