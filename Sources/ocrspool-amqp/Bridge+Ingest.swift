import AMQPKit
import DaemonKit
import Foundation
import SpoolKit

extension Bridge {
    /// Turns one message of the ingest queue into a job, then acknowledges it.
    ///
    /// Every body becomes a job, image or not: the OCR daemon judges the bytes and
    /// fails what is not an image (`unsupported_format`) into `failed/`, and that
    /// failure is published like any result. So a bad message is answered once and
    /// never redelivered. Only a spool that cannot take the job (disk full, broken
    /// spool) leaves the message unacknowledged; the error drops the connection,
    /// the broker requeues the message, and the reconnect backoff paces retries.
    func receive(_ delivery: AMQPDelivery, _ connection: AMQPConnection) throws {
        guard !isStopping else {
            try connection.reject(delivery.deliveryTag, requeue: true, channel: delivery.channel)
            return
        }
        let properties = delivery.properties
        let meta = JobMeta(
            source: .amqp, expected: properties.headers["expected"]?.text,
            mode: properties.headers["mode"]?.text,
            originalName: properties.headers["original_name"]?.text,
            messageID: properties.messageID, correlationID: properties.correlationID,
            replyTo: properties.replyTo)

        // XXX: a redelivered message whose job was committed before the ack was
        // lost becomes a second job; it is not deduplicated by message id.
        let tail = Bridge.extensionFor(delivery.body)
        let name = try spool.submit(delivery.body, tail: tail, meta: meta)
        try connection.ack(delivery.deliveryTag, channel: delivery.channel)
        totals.withLock { $0.ingested += 1 }
        logger.info("job received", [
            "job": name, "bytes": delivery.body.count, "queue": delivery.routingKey,
            "message_id": properties.messageID ?? "-", "redelivered": delivery.redelivered,
        ])
    }

    /// A file extension for the image kind the bytes start with, for people
    /// reading `ls`; nil when they look like no image the spool knows.
    static func extensionFor(_ bytes: [UInt8]) -> String? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count
                && Array(bytes[offset..<(offset + prefix.count)]) == prefix
        }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "png" }
        if starts([0xFF, 0xD8, 0xFF]) { return "jpg" }
        if starts(Array("GIF8".utf8)) { return "gif" }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return "tif" }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return "webp" }
        if starts(Array("BM".utf8)) { return "bmp" }
        return nil
    }
}
