import AMQPKit
import Foundation
import SpoolKit

/// The AMQP message that carries a job's result.
///
/// The body is what the reference's consumer logs: the text read, UTF-8, as
/// `text/plain`; with `json` it is the whole result (`application/json`). Either
/// way the headers carry `job_id`, `status`, `digits`, `confidence`, `verified`
/// (when a number was expected) and `error_code` (when it failed), and the
/// correlation id is the request's correlation id, else its message id, else the
/// job id, so a caller can match the answer to its request.
struct ResultMessage {
    var properties: AMQPProperties
    var body: [UInt8]

    init(_ result: JobResult, json: Bool) {
        var headers: [String: AMQPValue] = [
            "job_id": .string(result.id),
            "status": .string(result.status.rawValue),
            "digits": .string(result.digits),
            "confidence": .double(result.confidence),
            "source": .string(result.source.rawValue),
        ]
        if let verified = result.verified { headers["verified"] = .bool(verified) }
        if let error = result.error { headers["error_code"] = .string(error.code) }
        if let expected = result.expected { headers["expected"] = .string(expected) }

        properties = AMQPProperties(
            contentType: json ? "application/json" : "text/plain",
            contentEncoding: "UTF-8", deliveryMode: AMQPProperties.persistent,
            correlationID: result.correlationID ?? result.messageID ?? result.id,
            messageID: result.id,
            timestamp: UInt64(max(0, result.finishedAt.timeIntervalSince1970)),
            headers: headers)
        if json, let encoded = try? SpoolJSON.encoder().encode(result) {
            body = Array(encoded)
        } else {
            body = Array(result.text.utf8)
        }
    }
}
