import CRabbitMQ

/// A broker address: `amqp://user:pass@host:port/vhost`, or `amqps://` for TLS.
///
/// Parsed by librabbitmq's `amqp_parse_url`, which percent-decodes each part;
/// an absent part takes its AMQP default (`guest`, `localhost`, 5672 or 5671,
/// vhost `/`). `description` leaves the password out, so the value may be logged.
public struct AMQPURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String
    public var host: String
    public var port: Int
    public var virtualHost: String
    public var usesTLS: Bool

    /// Parses `text`; throws a usage error naming what is wrong, never the password.
    public init(_ text: String) throws {
        // amqp_parse_url decodes in place and points into the buffer it is given.
        var buffer = Array(text.utf8CString)
        let parts = buffer.withUnsafeMutableBufferPointer { pointer -> [String]? in
            var parsed = amqp_connection_info()
            guard amqp_parse_url(pointer.baseAddress, &parsed) == AMQP_STATUS_OK.rawValue else {
                return nil
            }
            return [
                String(cString: parsed.user), String(cString: parsed.password),
                String(cString: parsed.host), String(parsed.port), String(cString: parsed.vhost),
                parsed.ssl != 0 ? "tls" : "",
            ]
        }
        guard let parts, let port = Int(parts[3]) else {
            throw AMQPError(
                .usage, "parse broker URL",
                message: "not an amqp:// or amqps:// URL of the form user:pass@host:port/vhost")
        }
        user = parts[0]
        password = parts[1]
        host = parts[2]
        self.port = port
        // An empty path names no vhost; the broker's default one is meant.
        virtualHost = parts[4].isEmpty ? "/" : parts[4]
        usesTLS = !parts[5].isEmpty
    }

    /// The URL without its password, for logs.
    public var description: String {
        let scheme = usesTLS ? "amqps" : "amqp"
        let vhost = virtualHost == "/" ? "" : virtualHost
        return "\(scheme)://\(user)@\(host):\(port)/\(vhost)"
    }
}
