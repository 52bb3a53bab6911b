import CRabbitMQ

extension AMQPConnection {
    /// Turns an RPC reply into success or a thrown error with the broker's text.
    ///
    /// When the broker closed the channel or the connection, the close is
    /// acknowledged (`close-ok`) so the broker releases it at once.
    func check(_ reply: amqp_rpc_reply_t, _ operation: String) throws {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            isOpen = false
            throw AMQPConnection.libraryError(operation, reply.library_error)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            throw brokerClosed(reply.reply, operation, channel: 0)
        default:
            isOpen = false
            throw AMQPError(.library, operation, message: "no reply from librabbitmq")
        }
    }

    /// The error for a `channel.close` or `connection.close` from the broker,
    /// after answering it with its `close-ok`.
    func brokerClosed(_ method: amqp_method_t, _ operation: String, channel: UInt16)
        -> AMQPError
    {
        if method.id == OCRSPOOL_AMQP_CONNECTION_CLOSE {
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self)
            var ok = amqp_connection_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, 0, OCRSPOOL_AMQP_CONNECTION_CLOSE_OK, &ok)
            isOpen = false
            let text = AMQPConnection.string(close.pointee.reply_text)
            return AMQPError(
                .broker, operation, code: Int(close.pointee.reply_code),
                message: "closed the connection: " + text)
        }
        if method.id == OCRSPOOL_AMQP_CHANNEL_CLOSE {
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self)
            var ok = amqp_channel_close_ok_t(dummy: 0)
            _ = amqp_send_method(state, channel, OCRSPOOL_AMQP_CHANNEL_CLOSE_OK, &ok)
            let text = AMQPConnection.string(close.pointee.reply_text)
            return AMQPError(
                .broker, operation, code: Int(close.pointee.reply_code),
                message: "closed the channel: " + text)
        }
        return AMQPError(
            .broker, operation, code: Int(method.id), message: "unexpected method")
    }

    /// An error for a librabbitmq status code (`amqp_error_string2`).
    static func libraryError(_ operation: String, _ status: Int32) -> AMQPError {
        let text = amqp_error_string2(status).map { String(cString: $0) } ?? "unknown error"
        return AMQPError(.library, operation, code: Int(status), message: text)
    }

    /// The bytes as UTF-8 text (invalid sequences replaced).
    static func string(_ bytes: amqp_bytes_t) -> String {
        guard bytes.len > 0, let base = bytes.bytes else { return "" }
        let raw = UnsafeRawBufferPointer(start: base, count: bytes.len)
        return String(decoding: raw, as: UTF8.self)
    }

    /// A copy of the bytes.
    static func array(_ bytes: amqp_bytes_t) -> [UInt8] {
        guard bytes.len > 0, let base = bytes.bytes else { return [] }
        return Array(UnsafeRawBufferPointer(start: base, count: bytes.len))
    }
}
