#if canImport(Glibc)
import Glibc
#endif
import CSystemd
import DaemonKit

/// A listening stream socket, closed in `deinit` unless a server took it over.
public final class ListenSocket {
    public let address: ListenAddress
    /// The descriptor; -1 once handed over.
    public private(set) var fd: Int32
    /// The TCP port actually bound, for TCP sockets.
    public let port: UInt16?

    private init(address: ListenAddress, fd: Int32, port: UInt16?) {
        self.address = address
        self.fd = fd
        self.port = port
    }

    deinit {
        if fd >= 0 { _ = Glibc.close(fd) }
    }

    /// Binds and listens on `address`, or adopts the socket systemd passed.
    ///
    /// A Unix socket path that holds a stale socket is replaced; any other file
    /// there is an error. The socket file is made mode 0660 so the front
    /// server's group can connect.
    public static func open(_ address: ListenAddress, backlog: Int32 = 1024) throws
        -> ListenSocket
    {
        switch address {
        case .tcp(let host, let port):
            return try openTCP(address, host: host == "localhost" ? "127.0.0.1" : host, port: port,
                backlog: backlog)
        case .unix(let path):
            return try openUnix(address, path: path, backlog: backlog)
        case .systemd:
            return try adoptSystemd()
        }
    }

    /// Gives the descriptor to its new owner; this object no longer closes it.
    func handOver() {
        fd = -1
    }

    private static func openTCP(
        _ address: ListenAddress, host: String, port: UInt16, backlog: Int32
    ) throws -> ListenSocket {
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        if host.contains(":") {
            var inet6 = sockaddr_in6()
            inet6.sin6_family = sa_family_t(AF_INET6)
            inet6.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &inet6.sin6_addr) == 1 else {
                throw SystemError("parse address", paths: [host], errno: EINVAL)
            }
            withUnsafeBytes(of: inet6) { raw in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var inet = sockaddr_in()
            inet.sin_family = sa_family_t(AF_INET)
            inet.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host, &inet.sin_addr) == 1 else {
                throw SystemError("parse address", paths: [host], errno: EINVAL)
            }
            withUnsafeBytes(of: inet) { raw in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }

        let name = address.description
        let fd = try Syscall.retrying("socket", name) {
            Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let owner = ListenSocket(address: address, fd: fd, port: nil)
        var one: Int32 = 1
        try Syscall.retrying("setsockopt SO_REUSEADDR", name) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        try bindAndListen(fd, &storage, length, name: name, backlog: backlog)

        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &bound) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                _ = try Syscall.retrying("getsockname", name) {
                    getsockname(fd, raw, &boundLength)
                }
            }
        }
        let boundPort = withUnsafeBytes(of: bound) { raw in
            UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        }
        owner.handOver()
        return ListenSocket(address: address, fd: fd, port: boundPort)
    }

    private static func openUnix(_ address: ListenAddress, path: String, backlog: Int32) throws
        -> ListenSocket
    {
        var info = stat()
        if lstat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFSOCK else {
                throw SystemError("bind", paths: [path], errno: EEXIST)
            }
            try Syscall.retrying("unlink", path) { unlink(path) }
        }

        var unixAddress = sockaddr_un()
        unixAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &unixAddress.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 {
                raw[index] = byte
            }
        }
        var storage = sockaddr_storage()
        withUnsafeBytes(of: unixAddress) { raw in
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: raw) }
        }
        let fd = try Syscall.retrying("socket", path) {
            Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let owner = ListenSocket(address: address, fd: fd, port: nil)
        try bindAndListen(
            fd, &storage, socklen_t(MemoryLayout<sockaddr_un>.size), name: path,
            backlog: backlog)
        try Syscall.retrying("chmod", path) { chmod(path, 0o660) }
        return owner
    }

    private static func bindAndListen(
        _ fd: Int32, _ storage: inout sockaddr_storage, _ length: socklen_t, name: String,
        backlog: Int32
    ) throws {
        try withUnsafePointer(to: &storage) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                _ = try Syscall.retrying("bind", name) { bind(fd, raw, length) }
            }
        }
        try Syscall.retrying("listen", name) { listen(fd, backlog) }
    }

    /// Takes the first descriptor systemd passed (`sd_listen_fds`), which must be
    /// a listening stream socket (`sd_is_socket`).
    private static func adoptSystemd() throws -> ListenSocket {
        let count = sd_listen_fds(1)
        guard count >= 1 else {
            let code = count < 0 ? -count : EBADF
            throw SystemError("sd_listen_fds", paths: ["systemd"], errno: code)
        }
        let fd = SD_LISTEN_FDS_START
        guard sd_is_socket(fd, AF_UNSPEC, Int32(SOCK_STREAM.rawValue), 1) > 0 else {
            throw SystemError("sd_is_socket", paths: ["systemd"], errno: ENOTSOCK)
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return ListenSocket(address: .systemd, fd: fd, port: nil)
    }
}
