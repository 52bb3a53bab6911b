import Foundation

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass.
///
/// - Returns: whether the condition held in time.
@discardableResult
public func waitUntil(
    timeout: Double, _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound and released).
public func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
            bind(fd, raw, length)
            return getsockname(fd, raw, &length)
        }
    }
    return UInt16(bigEndian: address.sin_port)
}
