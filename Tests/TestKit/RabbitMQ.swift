import Foundation
import Synchronization

/// A real RabbitMQ node for tests, on free loopback ports with its own data,
/// log and config directories, no plugins, and user `guest` allowed on loopback.
///
/// The node runs under a small shell supervisor that stops it (SIGTERM, which
/// `rabbitmq-server` turns into a clean shutdown) when the node is stopped, or
/// when the test process is gone, so a crashed test run leaves no broker behind.
/// `stop()` followed by `start()` restarts the same node with its durable queues.
/// Starting takes several seconds, so tests of one process may share
/// `RabbitMQ.shared()` and keep apart by using queue names of their own.
public final class RabbitMQ: @unchecked Sendable {
    public let directory: TemporaryDirectory
    /// The AMQP port on 127.0.0.1.
    public let port: UInt16
    /// The Erlang distribution port (unused by clients, fixed to stay off others').
    public let distributionPort: UInt16
    public let nodeName: String
    private var supervisor: ChildProcess?

    /// `amqp://guest:guest@127.0.0.1:PORT/`.
    public var url: String { "amqp://guest:guest@127.0.0.1:\(port)/" }

    /// PEM files for a TLS listener.
    public struct TLSFiles: Sendable {
        public var caCertificate: String
        public var certificate: String
        public var key: String

        public init(caCertificate: String, certificate: String, key: String) {
            self.caCertificate = caCertificate
            self.certificate = certificate
            self.key = key
        }
    }

    /// The TLS (`amqps://`) port when the node was made with TLS files, else nil.
    public let tlsPort: UInt16?

    /// Prepares the node's directories and ports; `start()` runs it.
    ///
    /// - Parameter tls: also listen for TLS on `tlsPort` with these files (no
    ///   client certificates asked for).
    public init(tls: TLSFiles? = nil) throws {
        directory = try TemporaryDirectory("rabbitmq")
        port = freePort()
        var distribution = freePort()
        while distribution == port { distribution = freePort() }
        distributionPort = distribution
        nodeName = "ocrspooltest\(UUID().uuidString.prefix(8).lowercased())@localhost"
        for name in ["mnesia", "log", "home"] {
            try FileManager.default.createDirectory(
                atPath: directory.file(name), withIntermediateDirectories: true)
        }
        try "[].\n".write(
            toFile: directory.file("enabled_plugins"), atomically: true, encoding: .utf8)
        var config = """
            listeners.tcp.default = 127.0.0.1:\(port)
            loopback_users = none
            log.console = false

            """
        if let tls {
            let tlsPort = freePort()
            self.tlsPort = tlsPort
            config += """
                listeners.ssl.default = 127.0.0.1:\(tlsPort)
                ssl_options.cacertfile = \(tls.caCertificate)
                ssl_options.certfile = \(tls.certificate)
                ssl_options.keyfile = \(tls.key)
                ssl_options.verify = verify_none
                ssl_options.fail_if_no_peer_cert = false

                """
        } else {
            tlsPort = nil
        }
        try config.write(
            toFile: directory.file("rabbitmq.conf"), atomically: true, encoding: .utf8)
    }

    deinit { stop() }

    /// The node every test of this process may share, started on first use.
    public static func shared() throws -> RabbitMQ {
        try sharedNode.withLock { node in
            if let node { return node }
            let started = try RabbitMQ()
            try started.start()
            node = started
            return started
        }
    }

    private static let sharedNode = Mutex<RabbitMQ?>(nil)

    /// Starts the node and waits until it accepts connections.
    public func start(timeout: Double = 120) throws {
        guard supervisor == nil else { return }
        let script = """
            parent=$1; shift
            "$@" & child=$!
            trap 'kill -TERM $child; wait $child; exit 0' TERM INT
            while kill -0 "$parent" 2>/dev/null && kill -0 $child 2>/dev/null; do
                sleep 0.5 & wait $!
            done
            kill -TERM $child 2>/dev/null; wait $child
            """
        // Children of the test process inherit its blocked signal mask, with which
        // the shell's `wait` never returns and the node ignores SIGTERM; python
        // clears the mask before it becomes the supervisor.
        let unblock = """
            import os, signal, sys
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            os.execv("/bin/sh", ["sh", "-c"] + sys.argv[1:])
            """
        let base = directory.path
        supervisor = try ChildProcess(
            "/usr/bin/env",
            ["python3", "-c", unblock, script, "sh", String(getpid()),
             "/usr/lib/rabbitmq/bin/rabbitmq-server"],
            environment: [
                "HOME": "\(base)/home",
                "RABBITMQ_NODENAME": nodeName,
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_NODE_PORT": String(port),
                "RABBITMQ_DIST_PORT": String(distributionPort),
                "RABBITMQ_MNESIA_BASE": "\(base)/mnesia",
                "RABBITMQ_LOG_BASE": "\(base)/log",
                "RABBITMQ_CONFIG_FILE": "\(base)/rabbitmq",
                "RABBITMQ_ENABLED_PLUGINS_FILE": "\(base)/enabled_plugins",
                "RABBITMQ_PID_FILE": "\(base)/rabbitmq.pid",
            ],
            logDirectory: base)
        guard waitUntil(timeout: timeout, { isAccepting() }) else {
            let log = supervisor?.log ?? ""
            stop()
            throw RabbitMQError(message: "node did not start in \(timeout)s: \(log.suffix(2000))")
        }
    }

    /// Stops the node cleanly and waits for it to exit; durable data stays.
    public func stop(timeout: Double = 60) {
        guard let supervisor else { return }
        self.supervisor = nil
        supervisor.signal(SIGTERM)
        if supervisor.wait(timeout: timeout) == nil { supervisor.kill9() }
        _ = waitUntil(timeout: 10) { !isAccepting() }
    }

    /// True when something accepts TCP connections on the AMQP port.
    public func isAccepting() -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                connect(fd, raw, length) == 0
            }
        }
    }
}

/// A broker that would not start.
public struct RabbitMQError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
