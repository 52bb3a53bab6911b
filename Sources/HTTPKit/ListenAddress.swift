/// Where a server listens: `HOST:PORT`, `unix:/PATH`, or `systemd` for a socket
/// passed in by the service manager (`LISTEN_FDS`).
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4 or IPv6 literal (or `localhost`) and a port; port 0 picks a free one.
    case tcp(host: String, port: UInt16)
    /// A Unix stream socket at this path.
    case unix(path: String)
    /// The first socket systemd passed (socket activation).
    case systemd

    /// Parses `127.0.0.1:8080`, `[::1]:8080`, `unix:/run/x.sock` or `systemd`.
    public init?(_ text: String) {
        if text == "systemd" {
            self = .systemd
            return
        }
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") || path.hasPrefix("."), path.utf8.count < 108 else {
                return nil
            }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"),
            let port = UInt16(text[text.index(after: colon)...])
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        guard !host.isEmpty else { return nil }
        self = .tcp(host: host, port: port)
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port):
            host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        case .systemd: "systemd"
        }
    }
}
