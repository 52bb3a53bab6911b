#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A client connection to a Unix stream socket, as nginx opens one to the
/// upload daemon's socket: connect, send a request, read until the peer closes.
final class UnixStreamClient {
    private let descriptor: Int32

    /// Connects to the socket at `path`.
    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw NotifySocket.error("socket", path) }
        let status = UnixAddress.with(path) { address, length in
            var result: Int32
            repeat {
                result = connect(descriptor, address, length)
            } while result < 0 && errno == EINTR
            return result
        }
        guard status == 0 else {
            let error = NotifySocket.error("connect", path)
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// Writes all of `text`.
    func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw NotifySocket.error("write", "socket") }
            bytes = bytes.dropFirst(count)
        }
    }

    /// Reads until the peer closes or `timeout` seconds pass; returns what arrived.
    func readAll(timeout: Double) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            received += buffer.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }
}
