import AMQPKit
import Foundation
import Testing
import TestKit

/// The librabbitmq wrapper against a real broker.
struct AMQPKitTests {
    @Test(arguments: [
        ("amqp://user:secret@example.org:5673/orders", "user", "example.org", 5673, "orders",
         false),
        ("amqps://broker.local", "guest", "broker.local", 5671, "/", true),
        ("amqp://h/", "guest", "h", 5672, "/", false),
        ("amqp://a%40b:p@h/%2f", "a@b", "h", 5672, "/", false),
    ])
    func urlPartsAreParsedWithDefaults(
        text: String, user: String, host: String, port: Int, vhost: String, tls: Bool
    ) throws {
        let url = try AMQPURL(text)
        let got = "\(url.user) \(url.host) \(url.port) \(url.virtualHost) \(url.usesTLS)"
        let want = "\(user) \(host) \(port) \(vhost) \(tls)"
        #expect(got == want, "got \(got), want \(want)")
    }

    @Test func urlDescriptionLeavesThePasswordOut() throws {
        let url = try AMQPURL("amqp://reader:hunter2@10.0.0.5:5672/ocr")
        #expect(!url.description.contains("hunter2"), "got \(url.description)")
        #expect(url.description == "amqp://reader@10.0.0.5:5672/ocr", "got \(url.description)")
        #expect(throws: AMQPError.self) { try AMQPURL("http://example.org/") }
    }

    @Test func consumingAMissingQueueThrowsTheBrokersReply() throws {
        let broker = try RabbitMQ.shared()
        let connection = try AMQPConnection(url: AMQPURL(broker.url))
        try connection.openChannel(1)
        let missing = AMQPTestSupport.uniqueQueue("missing")
        do {
            try connection.consume(queue: missing, channel: 1)
            Issue.record("consume of a missing queue succeeded")
        } catch let error as AMQPError {
            #expect(error.code == 404, "got code \(error.code), want 404")
            #expect(error.description.contains("NOT_FOUND"), "got \(error)")
            #expect(error.description.contains(missing), "got \(error)")
        }
    }

    @Test func propertiesAndHeadersSurviveARoundTrip() throws {
        let broker = try RabbitMQ.shared()
        let queue = AMQPTestSupport.uniqueQueue("roundtrip")
        let sent = AMQPProperties(
            contentType: "text/plain", contentEncoding: "UTF-8", deliveryMode: 2,
            correlationID: "corr-1", replyTo: "answers", messageID: "msg-1",
            timestamp: 1_700_000_000,
            headers: [
                "s": .string("zwölf"), "b": .bool(true), "i": .int(-42), "d": .double(96.5),
            ])
        let client = try TestClient(broker.url)
        try client.publish([(body: Array("12".utf8), properties: sent)], to: queue)

        let received = try client.drain(queue, quiet: 1)
        #expect(received.count == 1, "got \(received.count) messages, want 1")
        let got = received.first?.properties
        #expect(got == sent, "got \(String(describing: got)), want \(sent)")
        #expect(received.first?.body == Array("12".utf8))
    }

    @Test func unroutableMandatoryPublishIsReturnedBeforeItsConfirm() throws {
        let broker = try RabbitMQ.shared()
        let connection = try AMQPConnection(url: AMQPURL(broker.url))
        try connection.openChannel(1)
        try connection.enableConfirms(channel: 1)
        let sequence = try connection.publish(
            routingKey: AMQPTestSupport.uniqueQueue("nowhere"),
            properties: AMQPProperties(messageID: "lost-1"), body: [1, 2, 3], channel: 1)
        #expect(sequence == 1, "got sequence \(sequence), want 1")

        var events: [String] = []
        let deadline = Date().addingTimeInterval(10)
        while events.count < 2 && Date() < deadline {
            switch try connection.nextEvent(timeout: 0.5) {
            case .returned(let returned)?:
                let id = returned.properties.messageID ?? "-"
                events.append("returned \(returned.replyCode) \(id)")
            case .confirm(_, let number, _, let ack)?:
                events.append("confirm \(number) \(ack)")
            default:
                continue
            }
        }
        #expect(events == ["returned 312 lost-1", "confirm 1 true"], "got \(events)")
    }
}
