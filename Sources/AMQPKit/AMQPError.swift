/// A failed AMQP operation: what was attempted, and why, in the broker's or the
/// library's words.
///
/// `code` is the AMQP reply code when the broker closed the channel or the
/// connection (such as 404 `NOT_FOUND` or 406 `PRECONDITION_FAILED`), else the
/// librabbitmq status (negative), else 0. Every error is fatal to the connection
/// it came from: callers drop the connection and reconnect.
public struct AMQPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Who reported the failure.
    public enum Origin: String, Sendable {
        /// The broker closed the channel or the connection.
        case broker
        /// librabbitmq failed (socket, protocol, timeout).
        case library
        /// The arguments or the URL were wrong.
        case usage
    }

    public var origin: Origin
    /// The operation, as a verb phrase: `open socket`, `declare queue java2python`.
    public var operation: String
    public var code: Int
    /// The broker's reply text or the library's error string.
    public var message: String

    public init(_ origin: Origin, _ operation: String, code: Int = 0, message: String) {
        self.origin = origin
        self.operation = operation
        self.code = code
        self.message = message
    }

    public var description: String {
        switch origin {
        case .broker: "\(operation): broker replied \(code) \(message)"
        case .library: "\(operation): \(message) (status \(code))"
        case .usage: "\(operation): \(message)"
        }
    }
}
