#if canImport(Glibc)
import Glibc
#endif
import CRabbitMQ

/// One AMQP 0-9-1 connection through librabbitmq: it owns the connection state,
/// and every call on it happens here.
///
/// Not thread-safe: one thread owns a connection, calls `nextEvent` in its loop
/// (which also sends and checks heartbeats) and publishes between calls. Any
/// thrown `AMQPError` leaves the connection unusable; drop it and connect anew.
///
/// Queues are declared the way Spring AMQP's `new Queue(name)` declares them
/// (durable, not exclusive, not auto-delete, no arguments), so either side may
/// declare first without a `PRECONDITION_FAILED`.
public final class AMQPConnection {
    /// How to reach a TLS (`amqps://`) broker.
    public struct TLSSettings: Sendable {
        /// PEM file of the certificate authorities to trust; nil for none.
        public var caCertificate: String?
        /// PEM client certificate and key, for brokers that ask for one.
        public var certificate: String?
        public var key: String?
        /// Check the broker's certificate chain and its name against the URL's host.
        public var verify: Bool

        public init(
            caCertificate: String? = nil, certificate: String? = nil, key: String? = nil,
            verify: Bool = true
        ) {
            self.caCertificate = caCertificate
            self.certificate = certificate
            self.key = key
            self.verify = verify
        }
    }

    /// The broker this connection reached, without its password.
    public let url: AMQPURL
    let state: amqp_connection_state_t
    var isOpen = false
    /// The next publish sequence number of each channel in confirm mode.
    var sequences: [UInt16: UInt64] = [:]

    /// Connects, logs in and agrees on heartbeats.
    ///
    /// Calls `amqp_new_connection`, `amqp_tcp_socket_new` or `amqp_ssl_socket_new`,
    /// `amqp_socket_open_noblock`, then `amqp_login` (through the shim).
    ///
    /// - Parameters:
    ///   - heartbeat: seconds between heartbeats; 0 turns them off.
    ///   - timeout: seconds allowed to connect and for each RPC.
    ///   - tls: used when the URL is `amqps://`.
    public init(
        url: AMQPURL, heartbeat: Int = 30, timeout: Double = 15,
        tls: TLSSettings = TLSSettings()
    ) throws {
        self.url = url
        guard let state = amqp_new_connection() else {
            throw AMQPError(.library, "create connection", message: "out of memory")
        }
        self.state = state

        let socket = try url.usesTLS ? makeTLSSocket(tls) : makeTCPSocket()
        var limit = AMQPConnection.timeval(seconds: timeout)
        let opened = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &limit)
        guard opened == AMQP_STATUS_OK.rawValue else {
            throw AMQPConnection.libraryError("connect to \(url.host):\(url.port)", opened)
        }
        _ = amqp_set_rpc_timeout(state, &limit)
        _ = amqp_set_handshake_timeout(state, &limit)

        let reply = ocrspool_amqp_login_plain(
            state, url.virtualHost, 0, Int32(AMQP_DEFAULT_FRAME_SIZE), Int32(heartbeat),
            url.user, url.password)
        try check(reply, "log in to vhost \(url.virtualHost) as \(url.user)")
        isOpen = true
    }

    deinit {
        close()
        amqp_destroy_connection(state)
    }

    /// Closes the connection politely if it is still open (`amqp_connection_close`).
    public func close() {
        guard isOpen else { return }
        isOpen = false
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
    }

    /// The heartbeat interval the broker agreed to, in seconds.
    public var heartbeat: Int { Int(amqp_get_heartbeat(state)) }

    /// Opens `channel` (`amqp_channel_open`).
    public func openChannel(_ channel: UInt16) throws {
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "open channel \(channel)")
    }

    /// Declares a durable, shared, lasting queue with no arguments
    /// (`amqp_queue_declare`), as Spring's `new Queue(name)` does.
    ///
    /// - Returns: how many messages the queue holds.
    @discardableResult
    public func declareQueue(_ name: String, channel: UInt16) throws -> Int {
        let ok = withBytes(name) { queue in
            amqp_queue_declare(state, channel, queue, 0, 1, 0, 0, amqp_empty_table)
        }
        try check(amqp_get_rpc_reply(state), "declare queue \(name)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    /// Deletes a queue and the messages it holds (`amqp_queue_delete`), whether
    /// or not it has consumers.
    public func deleteQueue(_ name: String, channel: UInt16) throws {
        _ = withBytes(name) { queue in amqp_queue_delete(state, channel, queue, 0, 0) }
        try check(amqp_get_rpc_reply(state), "delete queue \(name)")
    }

    /// Limits how many unacknowledged messages the broker sends to each consumer
    /// on `channel` (`amqp_basic_qos`).
    public func setPrefetch(_ count: Int, channel: UInt16) throws {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: count), 0)
        try check(amqp_get_rpc_reply(state), "set prefetch \(count)")
    }

    /// Puts `channel` in confirm mode: the broker then acks or nacks each publish
    /// (`amqp_confirm_select`). Sequence numbers start at 1.
    public func enableConfirms(channel: UInt16) throws {
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "enable publisher confirms")
        sequences[channel] = 1
    }

    /// Starts a consumer with manual acknowledgements (`amqp_basic_consume`).
    ///
    /// - Returns: the consumer tag the broker chose.
    @discardableResult
    public func consume(queue: String, channel: UInt16) throws -> String {
        let ok = withBytes(queue) { name in
            amqp_basic_consume(state, channel, name, amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        }
        try check(amqp_get_rpc_reply(state), "consume from \(queue)")
        return ok.map { AMQPConnection.string($0.pointee.consumer_tag) } ?? ""
    }

    /// Publishes a message to `exchange` (`""`: the default exchange, which routes
    /// to the queue named `routingKey`) with `amqp_basic_publish`.
    ///
    /// - Parameter mandatory: ask the broker to return the message if no queue
    ///   takes it (an `AMQPEvent.returned` before its confirm).
    /// - Returns: the message's confirm sequence number, or 0 when the channel is
    ///   not in confirm mode.
    @discardableResult
    public func publish(
        exchange: String = "", routingKey: String, properties: AMQPProperties,
        body: [UInt8], mandatory: Bool = true, channel: UInt16
    ) throws -> UInt64 {
        let arena = CArena()
        var encoded = arena.properties(properties)
        let status = body.withUnsafeBytes { raw in
            let payload = amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(
                mutating: raw.baseAddress ?? UnsafeRawPointer(arena.bytes("").bytes)))
            return amqp_basic_publish(
                state, channel, arena.bytes(exchange), arena.bytes(routingKey),
                mandatory ? 1 : 0, 0, &encoded, payload)
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPConnection.libraryError("publish to \(routingKey)", status)
        }
        guard let sequence = sequences[channel] else { return 0 }
        sequences[channel] = sequence + 1
        return sequence
    }

    /// Acknowledges one delivery (`amqp_basic_ack`).
    public func ack(_ deliveryTag: UInt64, channel: UInt16) throws {
        let status = amqp_basic_ack(state, channel, deliveryTag, 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPConnection.libraryError("acknowledge delivery \(deliveryTag)", status)
        }
    }

    /// Rejects one delivery, requeued or dropped (dead-lettered if the queue has
    /// a dead-letter exchange) (`amqp_basic_reject`).
    public func reject(_ deliveryTag: UInt64, requeue: Bool, channel: UInt16) throws {
        let status = amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0)
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPConnection.libraryError("reject delivery \(deliveryTag)", status)
        }
    }

    private func makeTCPSocket() throws -> OpaquePointer {
        guard let socket = amqp_tcp_socket_new(state) else {
            throw AMQPError(.library, "create socket", message: "out of memory")
        }
        return socket
    }

    private func makeTLSSocket(_ tls: TLSSettings) throws -> OpaquePointer {
        guard let socket = amqp_ssl_socket_new(state) else {
            throw AMQPError(.library, "create TLS socket", message: "cannot set up OpenSSL")
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verify ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verify ? 1 : 0)
        if let path = tls.caCertificate {
            let status = amqp_ssl_socket_set_cacert(socket, path)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw AMQPConnection.libraryError("load CA certificates \(path)", status)
            }
        }
        if let certificate = tls.certificate, let key = tls.key {
            let status = amqp_ssl_socket_set_key(socket, certificate, key)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw AMQPConnection.libraryError("load client certificate \(certificate)", status)
            }
        }
        return socket
    }

    /// Runs `body` with `text` as `amqp_bytes_t`, valid only inside it.
    func withBytes<Result>(_ text: String, _ body: (amqp_bytes_t) -> Result) -> Result {
        let arena = CArena()
        return body(arena.bytes(text))
    }

    static func timeval(seconds: Double) -> Glibc.timeval {
        let whole = max(0, seconds.rounded(.down))
        return Glibc.timeval(
            tv_sec: Int(whole), tv_usec: Int((max(0, seconds) - whole) * 1_000_000))
    }
}
