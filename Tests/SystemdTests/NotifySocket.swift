#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The receiving end of the `sd_notify` protocol, as systemd binds it for a
/// `Type=notify` service: a Unix datagram socket whose path goes into the
/// child's `NOTIFY_SOCKET`. A background thread records every datagram with the
/// sender's pid (from `SCM_CREDENTIALS`, which systemd uses for `NotifyAccess=`).
final class NotifySocket: @unchecked Sendable {
    /// One datagram: newline-separated `KEY=VALUE` assignments.
    struct Message: Sendable {
        var fields: [String: String]
        var senderPID: Int32
        var arrival: Date
        /// Position in the order of arrival.
        var index: Int
    }

    let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [Message] = []
    private var closed = false
    private let finished = DispatchSemaphore(value: 0)

    /// Binds a datagram socket at `path` and starts recording.
    init(path: String) throws {
        self.path = path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw NotifySocket.error("socket", path) }
        var on: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout,
                   socklen_t(MemoryLayout<timeval>.size))
        guard UnixAddress.with(path, { bind(descriptor, $0, $1) }) == 0 else {
            let error = NotifySocket.error("bind", path)
            close(descriptor)
            throw error
        }
        let thread = Thread { [self] in receiveLoop() }
        thread.start()
    }

    deinit {
        lock.withLock { closed = true }
        finished.wait()
        close(descriptor)
        unlink(path)
    }

    /// Everything received so far, in order.
    var messages: [Message] { lock.withLock { received } }

    /// Waits up to `timeout` seconds for a message at or after position `from`
    /// that carries `key` (with `value`, if given); returns it, or nil. Gives up
    /// early once `alive` turns false (the sender exited), after a last look.
    func wait(
        for key: String, value: String? = nil, from: Int = 0, timeout: Double,
        while alive: () -> Bool = { true }
    ) -> Message? {
        let deadline = Date().addingTimeInterval(timeout)
        var lastLook = false
        repeat {
            let match = messages.dropFirst(from).first { message in
                guard let found = message.fields[key] else { return false }
                return value == nil || found == value
            }
            if let match { return match }
            if lastLook { return nil }
            if !alive() {
                // Datagrams sent just before the exit may still be in the socket.
                lastLook = true
                usleep(200_000)
                continue
            }
            usleep(20_000)
        } while Date() < deadline
        return nil
    }

    private func receiveLoop() {
        defer { finished.signal() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var control = [UInt8](repeating: 0, count: 64)
        while !lock.withLock({ closed }) {
            guard let (text, pid) = receive(&buffer, &control) else { continue }
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            lock.withLock {
                received.append(Message(
                    fields: fields, senderPID: pid, arrival: Date(), index: received.count))
            }
        }
    }

    /// One `recvmsg` with the sender's credentials; nil on timeout or error.
    private func receive(_ buffer: inout [UInt8], _ control: inout [UInt8]) -> (String, Int32)? {
        buffer.withUnsafeMutableBytes { data in
            control.withUnsafeMutableBytes { controlBytes in
                var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                return withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    header.msg_control = controlBytes.baseAddress
                    header.msg_controllen = controlBytes.count
                    let count = recvmsg(descriptor, &header, 0)
                    guard count >= 0 else { return nil }
                    let text = String(decoding: data.prefix(count), as: UTF8.self)
                    return (text, NotifySocket.senderPID(header, controlBytes))
                }
            }
        }
    }

    /// The pid in an `SCM_CREDENTIALS` control message, or -1 when there is none.
    /// The layout is `struct cmsghdr { size_t len; int level; int type; }` followed
    /// by `struct ucred { pid_t pid; uid_t uid; gid_t gid; }` (the CMSG_* macros
    /// cannot be imported into Swift).
    private static func senderPID(_ header: msghdr, _ control: UnsafeMutableRawBufferPointer)
        -> Int32 {
        let headerSize = MemoryLayout<Int>.size + 2 * MemoryLayout<Int32>.size
        guard header.msg_controllen >= headerSize + 3 * MemoryLayout<Int32>.size else { return -1 }
        let level = control.load(fromByteOffset: MemoryLayout<Int>.size, as: Int32.self)
        let type = control.load(fromByteOffset: MemoryLayout<Int>.size + 4, as: Int32.self)
        // SCM_CREDENTIALS is a macro in <bits/socket.h> that Swift does not import: 2.
        guard level == SOL_SOCKET, type == 2 else { return -1 }
        return control.load(fromByteOffset: headerSize, as: Int32.self)
    }

    static func error(_ operation: String, _ path: String) -> NSError {
        let code = errno
        return NSError(domain: NSPOSIXErrorDomain, code: Int(code), userInfo: [
            NSLocalizedDescriptionKey:
                "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))",
        ])
    }
}

/// Builds a `sockaddr_un` for a filesystem path and passes it to a socket call.
enum UnixAddress {
    static func with(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}
