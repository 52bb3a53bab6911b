#if canImport(Glibc)
import Glibc
#endif
import CRabbitMQ

extension AMQPConnection {
    /// Waits up to `timeout` seconds for the broker's next event
    /// (`amqp_simple_wait_frame_noblock`), assembling a delivery or a returned
    /// message from its method, header and body frames.
    ///
    /// Heartbeats are sent and checked while waiting; a broker that falls silent
    /// for two intervals is an error.
    ///
    /// - Returns: the event, or nil when nothing came in time.
    public func nextEvent(timeout: Double) throws -> AMQPEvent? {
        defer { amqp_maybe_release_buffers(state) }
        while true {
            guard let frame = try waitFrame(timeout: timeout) else { return nil }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            if let event = try event(frame.payload.method, channel: frame.channel) {
                return event
            }
        }
    }

    private func event(_ method: amqp_method_t, channel: UInt16) throws -> AMQPEvent? {
        switch method.id {
        case OCRSPOOL_AMQP_BASIC_DELIVER:
            let deliver = method.decoded.assumingMemoryBound(to: amqp_basic_deliver_t.self).pointee
            let tag = deliver.delivery_tag
            let consumer = AMQPConnection.string(deliver.consumer_tag)
            let exchange = AMQPConnection.string(deliver.exchange)
            let key = AMQPConnection.string(deliver.routing_key)
            let (properties, body) = try readContent(channel: channel)
            return .delivery(AMQPDelivery(
                channel: channel, deliveryTag: tag, redelivered: deliver.redelivered != 0,
                consumerTag: consumer, exchange: exchange, routingKey: key,
                properties: properties, body: body))

        case OCRSPOOL_AMQP_BASIC_RETURN:
            let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
            let code = Int(returned.reply_code)
            let text = AMQPConnection.string(returned.reply_text)
            let exchange = AMQPConnection.string(returned.exchange)
            let key = AMQPConnection.string(returned.routing_key)
            let (properties, _) = try readContent(channel: channel)
            return .returned(AMQPReturn(
                channel: channel, replyCode: code, replyText: text, exchange: exchange,
                routingKey: key, properties: properties))

        case OCRSPOOL_AMQP_BASIC_ACK:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return .confirm(
                channel: channel, sequence: ack.delivery_tag, multiple: ack.multiple != 0,
                ack: true)

        case OCRSPOOL_AMQP_BASIC_NACK:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return .confirm(
                channel: channel, sequence: nack.delivery_tag, multiple: nack.multiple != 0,
                ack: false)

        case OCRSPOOL_AMQP_BASIC_CANCEL:
            let cancel = method.decoded.assumingMemoryBound(to: amqp_basic_cancel_t.self).pointee
            let tag = AMQPConnection.string(cancel.consumer_tag)
            return .cancelled(channel: channel, consumerTag: tag)

        case OCRSPOOL_AMQP_CHANNEL_CLOSE, OCRSPOOL_AMQP_CONNECTION_CLOSE:
            throw brokerClosed(method, "wait for messages", channel: channel)

        default:
            // connection.blocked and .unblocked, and replies nothing waits for.
            return nil
        }
    }

    /// Reads the header frame and the body frames that follow a content method.
    private func readContent(channel: UInt16) throws -> (AMQPProperties, [UInt8]) {
        guard let header = try waitFrame(timeout: 30),
            header.frame_type == UInt8(AMQP_FRAME_HEADER), header.channel == channel
        else {
            isOpen = false
            throw AMQPError(.library, "read message header", message: "unexpected frame")
        }
        let size = Int(header.payload.properties.body_size)
        let decoded = header.payload.properties.decoded
            .assumingMemoryBound(to: amqp_basic_properties_t.self).pointee
        let properties = AMQPConnection.properties(decoded)

        var body: [UInt8] = []
        body.reserveCapacity(size)
        while body.count < size {
            guard let frame = try waitFrame(timeout: 30),
                frame.frame_type == UInt8(AMQP_FRAME_BODY), frame.channel == channel
            else {
                isOpen = false
                throw AMQPError(.library, "read message body", message: "unexpected frame")
            }
            body += AMQPConnection.array(frame.payload.body_fragment)
        }
        return (properties, body)
    }

    /// One frame, or nil on timeout.
    private func waitFrame(timeout: Double) throws -> amqp_frame_t? {
        var frame = amqp_frame_t()
        var limit = AMQPConnection.timeval(seconds: timeout)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &limit)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        guard status == AMQP_STATUS_OK.rawValue else {
            isOpen = false
            throw AMQPConnection.libraryError("wait for a frame", status)
        }
        return frame
    }

    /// The Swift form of decoded properties.
    static func properties(_ decoded: amqp_basic_properties_t) -> AMQPProperties {
        let flags = decoded._flags
        func text(_ flag: amqp_flags_t, _ bytes: amqp_bytes_t) -> String? {
            flags & flag != 0 ? string(bytes) : nil
        }
        var properties = AMQPProperties(
            contentType: text(OCRSPOOL_AMQP_FLAG_CONTENT_TYPE, decoded.content_type),
            contentEncoding: text(OCRSPOOL_AMQP_FLAG_CONTENT_ENCODING, decoded.content_encoding),
            correlationID: text(OCRSPOOL_AMQP_FLAG_CORRELATION_ID, decoded.correlation_id),
            replyTo: text(OCRSPOOL_AMQP_FLAG_REPLY_TO, decoded.reply_to),
            messageID: text(OCRSPOOL_AMQP_FLAG_MESSAGE_ID, decoded.message_id))
        if flags & OCRSPOOL_AMQP_FLAG_DELIVERY_MODE != 0 {
            properties.deliveryMode = decoded.delivery_mode
        }
        if flags & OCRSPOOL_AMQP_FLAG_TIMESTAMP != 0 { properties.timestamp = decoded.timestamp }
        if flags & OCRSPOOL_AMQP_FLAG_HEADERS != 0 {
            properties.headers = headers(decoded.headers)
        }
        return properties
    }

    /// The entries of a header table whose kinds `AMQPValue` models.
    static func headers(_ table: amqp_table_t) -> [String: AMQPValue] {
        var headers: [String: AMQPValue] = [:]
        for index in 0..<Int(max(0, table.num_entries)) {
            let entry = table.entries[index]
            let value = entry.value
            let decoded: AMQPValue?
            switch Int32(value.kind) {
            case Int32(AMQP_FIELD_KIND_UTF8.rawValue), Int32(AMQP_FIELD_KIND_BYTES.rawValue):
                decoded = .string(string(value.value.bytes))
            case Int32(AMQP_FIELD_KIND_BOOLEAN.rawValue): decoded = .bool(value.value.boolean != 0)
            case Int32(AMQP_FIELD_KIND_I8.rawValue): decoded = .int(Int64(value.value.i8))
            case Int32(AMQP_FIELD_KIND_U8.rawValue): decoded = .int(Int64(value.value.u8))
            case Int32(AMQP_FIELD_KIND_I16.rawValue): decoded = .int(Int64(value.value.i16))
            case Int32(AMQP_FIELD_KIND_U16.rawValue): decoded = .int(Int64(value.value.u16))
            case Int32(AMQP_FIELD_KIND_I32.rawValue): decoded = .int(Int64(value.value.i32))
            case Int32(AMQP_FIELD_KIND_U32.rawValue): decoded = .int(Int64(value.value.u32))
            case Int32(AMQP_FIELD_KIND_I64.rawValue): decoded = .int(value.value.i64)
            case Int32(AMQP_FIELD_KIND_F32.rawValue): decoded = .double(Double(value.value.f32))
            case Int32(AMQP_FIELD_KIND_F64.rawValue): decoded = .double(value.value.f64)
            default: decoded = nil
            }
            if let decoded { headers[string(entry.key)] = decoded }
        }
        return headers
    }
}
