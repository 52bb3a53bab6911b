#if canImport(Glibc)
import Glibc
#endif
import CRabbitMQ

/// C memory for one call into librabbitmq: strings and tables built from Swift
/// values, all freed together when the arena is released.
final class CArena {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit {
        for block in blocks { free(block) }
    }

    /// A NUL-terminated copy of `text` as `amqp_bytes_t` (length without the NUL).
    func bytes(_ text: String) -> amqp_bytes_t {
        let utf8 = Array(text.utf8)
        let block = allocate(utf8.count + 1)
        utf8.withUnsafeBytes { raw in
            if let base = raw.baseAddress { memcpy(block, base, utf8.count) }
        }
        block.storeBytes(of: 0, toByteOffset: utf8.count, as: UInt8.self)
        return amqp_bytes_t(len: utf8.count, bytes: block)
    }

    /// The C form of `properties`, its flags set for each field present.
    func properties(_ properties: AMQPProperties) -> amqp_basic_properties_t {
        var encoded = amqp_basic_properties_t()
        var flags: amqp_flags_t = 0
        if let value = properties.contentType {
            encoded.content_type = bytes(value)
            flags |= OCRSPOOL_AMQP_FLAG_CONTENT_TYPE
        }
        if let value = properties.contentEncoding {
            encoded.content_encoding = bytes(value)
            flags |= OCRSPOOL_AMQP_FLAG_CONTENT_ENCODING
        }
        if let value = properties.deliveryMode {
            encoded.delivery_mode = value
            flags |= OCRSPOOL_AMQP_FLAG_DELIVERY_MODE
        }
        if let value = properties.correlationID {
            encoded.correlation_id = bytes(value)
            flags |= OCRSPOOL_AMQP_FLAG_CORRELATION_ID
        }
        if let value = properties.replyTo {
            encoded.reply_to = bytes(value)
            flags |= OCRSPOOL_AMQP_FLAG_REPLY_TO
        }
        if let value = properties.messageID {
            encoded.message_id = bytes(value)
            flags |= OCRSPOOL_AMQP_FLAG_MESSAGE_ID
        }
        if let value = properties.timestamp {
            encoded.timestamp = value
            flags |= OCRSPOOL_AMQP_FLAG_TIMESTAMP
        }
        if !properties.headers.isEmpty {
            encoded.headers = table(properties.headers)
            flags |= OCRSPOOL_AMQP_FLAG_HEADERS
        }
        encoded._flags = flags
        return encoded
    }

    /// A field table holding `headers`, sorted by key.
    func table(_ headers: [String: AMQPValue]) -> amqp_table_t {
        let sorted = headers.sorted { $0.key < $1.key }
        let size = MemoryLayout<amqp_table_entry_t>.stride * sorted.count
        let entries = allocate(size)
            .bindMemory(to: amqp_table_entry_t.self, capacity: sorted.count)
        for (index, (key, value)) in sorted.enumerated() {
            var entry = amqp_table_entry_t()
            entry.key = bytes(key)
            entry.value = field(value)
            entries[index] = entry
        }
        return amqp_table_t(num_entries: Int32(sorted.count), entries: entries)
    }

    private func field(_ value: AMQPValue) -> amqp_field_value_t {
        var field = amqp_field_value_t()
        switch value {
        case .string(let text):
            field.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            field.value.bytes = bytes(text)
        case .bool(let flag):
            field.kind = UInt8(AMQP_FIELD_KIND_BOOLEAN.rawValue)
            field.value.boolean = flag ? 1 : 0
        case .int(let number):
            field.kind = UInt8(AMQP_FIELD_KIND_I64.rawValue)
            field.value.i64 = number
        case .double(let number):
            field.kind = UInt8(AMQP_FIELD_KIND_F64.rawValue)
            field.value.f64 = number
        }
        return field
    }

    private func allocate(_ size: Int) -> UnsafeMutableRawPointer {
        guard let block = malloc(max(size, 1)) else { fatalError("out of memory") }
        blocks.append(block)
        return block
    }
}
