import AMQPKit
import Foundation
import Synchronization
import SpoolKit
import Testing
import TestKit

/// The reference design's producer and consumer, played by pika, work against
/// the bridge unchanged.
@Suite(.serialized) struct ReferenceCompatibilityTests {
    @Test func referenceProducerImagesComeBackAsNumbersOnPython2Java() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-reference")
        let ocr = try AMQPTestSupport.ocr(spool: spool)
        let bridge = try AMQPTestSupport.bridge(spool: spool, url: broker.url, [])
        defer {
            AMQPTestSupport.stop(bridge)
            AMQPTestSupport.stop(ocr)
        }

        let numbers = ["40721", "8316", "95"]
        let files = try numbers.map { try AMQPTestSupport.numberImage($0, in: spool.directory) }
        let produced = try AMQPTestSupport.referenceClient(
            ["produce", "--url", broker.url, "--queue", "java2python"] + files)
        #expect(produced.status == 0, "producer: \(produced.text)")

        let consumed = try AMQPTestSupport.referenceClient(
            ["consume", "--url", broker.url, "--queue", "python2java", "--count", "3"])
        #expect(consumed.status == 0, "consumer: \(consumed.text)\nbridge: \(bridge.log)")
        let bodies = Set(consumed.messages.compactMap { $0["body"] as? String })
        #expect(bodies == Set(numbers), "got \(bodies), want \(numbers)")
        for message in consumed.messages {
            #expect(message["content_type"] as? String == "text/plain")
            #expect(message["delivery_mode"] as? Int == 2)
            let headers = message["headers"] as? [String: Any] ?? [:]
            #expect(headers["status"] as? String == "done", "headers \(headers)")
            #expect(headers["digits"] as? String == message["body"] as? String)
            #expect(message["correlation_id"] as? String == headers["job_id"] as? String)
        }

        let results = AMQPTestSupport.results(spool.spool)
        #expect(results.count == 3, "got \(results.count) results, want 3")
        #expect(results.allSatisfy { $0.source == .amqp }, "sources \(results.map(\.source))")
        #expect(!bridge.log.contains("guest:guest"), "bridge logged credentials")
    }

    @Test func rpcCallsWithReplyToGetTheirOwnAnswers() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-rpc")
        let queue = AMQPTestSupport.uniqueQueue("rpc")
        let ocr = try AMQPTestSupport.ocr(spool: spool)
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url,
            ["--ingest-queue", queue, "--result-queue", AMQPTestSupport.uniqueQueue("unused")])
        defer {
            AMQPTestSupport.stop(bridge)
            AMQPTestSupport.stop(ocr)
        }

        let numbers = ["31415", "2718"]
        let files = try numbers.map { try AMQPTestSupport.numberImage($0, in: spool.directory) }
        // Each answer as body, correlation id received, correlation id sent.
        let answers = Mutex<[Int: [String]]>([:])
        DispatchQueue.concurrentPerform(iterations: numbers.count) { index in
            let call = try? AMQPTestSupport.referenceClient(
                ["rpc", "--url", broker.url, "--queue", queue, files[index]])
            guard let answer = call?.messages.first else { return }
            let fields = ["body", "correlation_id", "sent_correlation_id"].map {
                answer[$0] as? String ?? "-"
            }
            answers.withLock { $0[index] = fields }
        }

        let got = answers.withLock { $0 }
        for (index, number) in numbers.enumerated() {
            let answer = got[index] ?? ["none", "-", "-"]
            #expect(answer[0] == number, "call \(index): got \(answer[0]), want \(number)")
            #expect(answer[1] == answer[2], "got correlation id \(answer[1]), want \(answer[2])")
        }
    }

    @Test func bodyThatIsNoImageIsAnsweredOnceAsFailedAndNotRedelivered() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-bad")
        let ingest = AMQPTestSupport.uniqueQueue("bad-in")
        let results = AMQPTestSupport.uniqueQueue("bad-out")
        let ocr = try AMQPTestSupport.ocr(spool: spool)
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url, ["--ingest-queue", ingest, "--result-queue", results])
        defer {
            AMQPTestSupport.stop(bridge)
            AMQPTestSupport.stop(ocr)
        }

        let text = spool.directory.file("note.txt")
        try "this is not an image".write(toFile: text, atomically: true, encoding: .utf8)
        let produced = try AMQPTestSupport.referenceClient(
            ["produce", "--url", broker.url, "--queue", ingest, text])
        #expect(produced.status == 0, "producer: \(produced.text)")

        let consumed = try AMQPTestSupport.referenceClient(
            ["consume", "--url", broker.url, "--queue", results, "--count", "1"])
        let headers = consumed.messages.first?["headers"] as? [String: Any] ?? [:]
        #expect(headers["status"] as? String == "failed", "got \(consumed.text)")
        #expect(headers["error_code"] as? String == "unsupported_format", "got \(headers)")

        let failed = spool.entries(.failed).filter { $0.hasSuffix(".json") }
        #expect(failed.count == 1, "failed/ holds \(failed), want one job")
        let connection = try AMQPConnection(url: AMQPURL(broker.url))
        try connection.openChannel(1)
        let waiting = try connection.declareQueue(ingest, channel: 1)
        #expect(waiting == 0, "ingest queue holds \(waiting) messages, want 0")
        let second = try AMQPTestSupport.referenceClient(
            ["consume", "--url", broker.url, "--queue", results, "--count", "1", "--timeout", "3"])
        #expect(second.messages.isEmpty, "a second answer came: \(second.text)")
    }
}
