/// A value in a message's header table.
///
/// Only the kinds ocrspool writes and reads are modelled; other kinds in
/// incoming headers are skipped when decoded.
public enum AMQPValue: Sendable, Equatable {
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)

    /// The value as text, whatever its kind.
    public var text: String {
        switch self {
        case .string(let value): value
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value): String(value)
        }
    }
}

/// The basic-class properties of a message that ocrspool uses.
public struct AMQPProperties: Sendable, Equatable {
    public var contentType: String?
    public var contentEncoding: String?
    /// 2 means persistent: the broker writes it to disk in a durable queue.
    public var deliveryMode: UInt8?
    public var correlationID: String?
    public var replyTo: String?
    public var messageID: String?
    /// Seconds since 1970.
    public var timestamp: UInt64?
    public var headers: [String: AMQPValue]

    public init(
        contentType: String? = nil, contentEncoding: String? = nil, deliveryMode: UInt8? = nil,
        correlationID: String? = nil, replyTo: String? = nil, messageID: String? = nil,
        timestamp: UInt64? = nil, headers: [String: AMQPValue] = [:]
    ) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.deliveryMode = deliveryMode
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.messageID = messageID
        self.timestamp = timestamp
        self.headers = headers
    }

    /// Persistent delivery, as Spring's `RabbitTemplate` sends by default.
    public static let persistent: UInt8 = 2
}

/// A message the broker delivered to one of this connection's consumers.
public struct AMQPDelivery: Sendable {
    public var channel: UInt16
    /// Acknowledge or reject with this tag on the same channel.
    public var deliveryTag: UInt64
    /// True when the broker delivered it before and it was not acknowledged.
    public var redelivered: Bool
    public var consumerTag: String
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
    public var body: [UInt8]
}

/// A `mandatory` message the broker could not route to any queue.
public struct AMQPReturn: Sendable {
    public var channel: UInt16
    public var replyCode: Int
    public var replyText: String
    public var exchange: String
    public var routingKey: String
    public var properties: AMQPProperties
}

/// Something the broker told this connection.
public enum AMQPEvent: Sendable {
    case delivery(AMQPDelivery)
    /// A publisher confirm: the broker took responsibility (`ack`) or refused
    /// (`nack`) every message up to `sequence` when `multiple`, else just that one.
    case confirm(channel: UInt16, sequence: UInt64, multiple: Bool, ack: Bool)
    /// Comes before the confirm of the same message.
    case returned(AMQPReturn)
    /// The broker cancelled a consumer (its queue was deleted).
    case cancelled(channel: UInt16, consumerTag: String)
}
