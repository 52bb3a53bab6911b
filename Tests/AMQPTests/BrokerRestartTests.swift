import AMQPKit
import Foundation
import SpoolKit
import Testing
import TestKit

/// A broker restart in the middle of a stream loses nothing.
struct BrokerRestartTests {
    /// Jobs in the stream; the brief asks for 500 and it fits in time here.
    static let jobCount = 500

    @Test func everyJobIsAnsweredAcrossABrokerRestartMidStream() throws {
        let broker = try RabbitMQ()
        try broker.start()
        defer { broker.stop() }
        let spool = try TemporarySpool("amqp-restart")
        let ingest = AMQPTestSupport.uniqueQueue("restart-in")
        let results = AMQPTestSupport.uniqueQueue("restart-out")
        let ocr = try AMQPTestSupport.ocr(spool: spool)
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url,
            ["--ingest-queue", ingest, "--result-queue", results, "--prefetch", "32"])
        defer {
            AMQPTestSupport.stop(bridge)
            AMQPTestSupport.stop(ocr)
        }

        let numbers = ["1205", "73", "48610", "992", "5317"]
        let images = try numbers.map { number in
            Array(try Data(contentsOf: URL(fileURLWithPath:
                AMQPTestSupport.numberImage(number, in: spool.directory))))
        }
        let messages = (0..<Self.jobCount).map { index in
            (body: images[index % numbers.count], properties: AMQPProperties(
                contentType: "application/octet-stream", deliveryMode: 2,
                messageID: "m-\(index)"))
        }
        let half = Self.jobCount / 2
        try TestClient(broker.url).publish(Array(messages[..<half]), to: ingest)

        // Mid-stream: some results are out, more jobs are waiting or being read.
        let someDone = waitUntil(timeout: 120) {
            ((try? spool.spool.results(in: .done)) ?? []).count >= 40
        }
        #expect(someDone, "no results before the restart; bridge: \(bridge.log.suffix(2000))")
        broker.stop()
        try broker.start()
        try TestClient(broker.url).publish(Array(messages[half...]), to: ingest)

        let allPublished = waitUntil(timeout: 240) {
            let markers = (try? FileManager.default.contentsOfDirectory(
                atPath: spool.spool.publishedDirectory)) ?? []
            return markers.count >= Self.jobCount
        }
        #expect(allPublished, "not every result was published; bridge: \(bridge.log.suffix(3000))")

        let answers = try TestClient(broker.url).drain(results, quiet: 3)
        var answered: [String: String] = [:]
        for answer in answers {
            guard let id = answer.properties.correlationID else { continue }
            answered[id] = String(decoding: answer.body, as: UTF8.self)
        }
        let wanted = Set((0..<Self.jobCount).map { "m-\($0)" })
        let missing = wanted.subtracting(answered.keys)
        #expect(missing.isEmpty, "no answer for \(missing.count) jobs, e.g. \(missing.prefix(5))")
        let wrong = (0..<Self.jobCount).filter { index in
            answered["m-\(index)"].map { $0 != numbers[index % numbers.count] } ?? false
        }
        #expect(wrong.isEmpty, "wrong numbers for \(wrong.count) jobs, e.g. \(wrong.prefix(5))")
        #expect(bridge.log.contains("broker connection lost"), "the restart went unnoticed")
        #expect(bridge.log.components(separatedBy: "connected to broker").count >= 3)
        print("restart test: \(answers.count) answers for \(Self.jobCount) jobs"
            + " (\(answers.count - answered.count) duplicates)")
    }
}

/// A connection that breaks soon after it opens is not reopened in a tight loop.
struct ReconnectBackoffTests {
    @Test func aMessageTheSpoolCannotTakeIsRetriedWithAGrowingWait() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-backoff")
        let ingest = AMQPTestSupport.uniqueQueue("backoff-in")
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url,
            ["--ingest-queue", ingest, "--result-queue", AMQPTestSupport.uniqueQueue("unused")])
        defer { AMQPTestSupport.stop(bridge) }
        #expect(waitUntil(timeout: 30) { bridge.log.contains("connected to broker") })

        // tmp/ replaced by a file: every job the bridge stages fails, so every
        // delivery of the message breaks the connection.
        let staging = spool.spool.directory(.tmp)
        try FileManager.default.removeItem(atPath: staging)
        FileManager.default.createFile(atPath: staging, contents: Data())
        let client = try TestClient(broker.url)
        try client.publish([(Array("image".utf8), AMQPProperties())], to: ingest)
        Thread.sleep(forTimeInterval: 9)
        let losses = bridge.log.components(separatedBy: "broker connection lost").count - 1
        // Waits of 0.5, 1, 2 and 4 s fit about 4 losses in 9 s; without the
        // doubling it would be about 15.
        #expect((2...6).contains(losses), "got \(losses) reconnects in 9 s\n\(bridge.log)")

        try FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        #expect(waitUntil(timeout: 30) { !spool.entries(.incoming).isEmpty },
                "the message never became a job once the spool could take it")
    }
}
