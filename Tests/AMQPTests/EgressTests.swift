import AMQPKit
import Foundation
import SpoolKit
import Testing
import TestKit

/// Finished jobs are published once, where they should go, with their result.
struct EgressTests {
    /// Makes a finished job the way a worker would, without OCR.
    @discardableResult
    static func finishedJob(
        _ spool: Spool, source: JobSource, digits: String, expected: String? = nil,
        failure: String? = nil, replyTo: String? = nil
    ) throws -> JobResult {
        let meta = JobMeta(source: source, expected: expected, replyTo: replyTo)
        let name = try spool.submit(Array("image".utf8), tail: "png", meta: meta)
        guard case .claimed(let claim) = try spool.claim(name.string) else {
            throw SupportError("cannot claim \(name)")
        }
        var result = JobResult(
            id: name.string, status: failure == nil ? .done : .failed, text: digits,
            digits: digits, numbers: digits.isEmpty ? [] : [digits], confidence: 88,
            expected: expected, source: source, submittedAt: claim.meta.submittedAt, attempts: 1,
            error: failure.map { JobResult.Failure(code: $0, message: "made by a test") })
        result.carry(claim.meta)
        try spool.finish(claim, result: result)
        return result
    }

    @Test func publishAllSendsEveryResultOnceEvenAcrossABridgeRestart() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-egress")
        let queue = AMQPTestSupport.uniqueQueue("all")
        let done = try Self.finishedJob(
            spool.spool, source: .cli, digits: "4711", expected: "4711")
        let failed = try Self.finishedJob(
            spool.spool, source: .http, digits: "", failure: "corrupt_image")
        let arguments = ["--no-ingest", "--publish-all", "--result-queue", queue]

        let first = try AMQPTestSupport.bridge(spool: spool, url: broker.url, arguments)
        let messages = try TestClient(broker.url).drain(queue, quiet: 3)
        #expect(AMQPTestSupport.stop(first) == 0, "bridge did not exit 0 on SIGTERM: \(first.log)")
        let byID = Dictionary(
            messages.map { ($0.properties.correlationID ?? "-", $0) }) { first, _ in first }
        #expect(messages.count == 2, "got \(messages.count) messages, want 2")

        let doneHeaders = byID[done.id]?.properties.headers ?? [:]
        #expect(doneHeaders["status"] == .string("done"), "got \(doneHeaders)")
        #expect(doneHeaders["digits"] == .string("4711"), "got \(doneHeaders)")
        #expect(doneHeaders["verified"] == .bool(true), "got \(doneHeaders)")
        #expect(doneHeaders["confidence"] == .double(88), "got \(doneHeaders)")
        #expect(byID[done.id]?.body == Array("4711".utf8))
        let failedHeaders = byID[failed.id]?.properties.headers ?? [:]
        #expect(failedHeaders["status"] == .string("failed"), "got \(failedHeaders)")
        #expect(failedHeaders["error_code"] == .string("corrupt_image"), "got \(failedHeaders)")

        let second = try AMQPTestSupport.bridge(spool: spool, url: broker.url, arguments)
        defer { AMQPTestSupport.stop(second) }
        #expect(waitUntil(timeout: 20) { second.log.contains("connected to broker") })
        Thread.sleep(forTimeInterval: 3)
        let again = try TestClient(broker.url).depth(queue)
        #expect(again == 0, "a restarted bridge published \(again) results again")
    }

    @Test func withoutPublishAllOnlyJobsFromAMQPArePublished() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-egress-only")
        let queue = AMQPTestSupport.uniqueQueue("only")
        try Self.finishedJob(spool.spool, source: .cli, digits: "1")
        let fromAMQP = try Self.finishedJob(spool.spool, source: .amqp, digits: "2")
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url, ["--no-ingest", "--result-queue", queue])
        defer { AMQPTestSupport.stop(bridge) }

        let messages = try TestClient(broker.url).drain(queue, quiet: 3)
        let ids = messages.map { $0.properties.messageID ?? "-" }
        #expect(ids == [fromAMQP.id], "got \(ids), want only the AMQP job")
    }

    @Test func jsonBodyCarriesTheWholeResult() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-egress-json")
        let queue = AMQPTestSupport.uniqueQueue("json")
        let result = try Self.finishedJob(spool.spool, source: .amqp, digits: "90210")
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url, ["--no-ingest", "--json", "--result-queue", queue])
        defer { AMQPTestSupport.stop(bridge) }

        let messages = try TestClient(broker.url).drain(queue, quiet: 3)
        #expect(messages.first?.properties.contentType == "application/json")
        let decoded = try messages.first.map {
            try SpoolJSON.decoder().decode(JobResult.self, from: Data($0.body))
        }
        let stored = spool.spool.result(of: JobName(result.id)!)
        #expect(decoded == stored, "got \(String(describing: decoded))")
    }

    @Test func unroutableReplyIsLoggedAndMarkedNotDropped() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-egress-unroutable")
        let nowhere = AMQPTestSupport.uniqueQueue("gone-client")
        let result = try Self.finishedJob(
            spool.spool, source: .amqp, digits: "7", replyTo: nowhere)
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url,
            ["--no-ingest", "--result-queue", AMQPTestSupport.uniqueQueue("unused")])
        defer { AMQPTestSupport.stop(bridge) }

        let name = JobName(result.id)!
        let marked = waitUntil(timeout: 20) { spool.spool.publishedNote(name) != nil }
        let note = spool.spool.publishedNote(name) ?? "none"
        #expect(marked && note.contains("unroutable"), "got marker \(note)")
        #expect(bridge.log.contains("message unroutable"), "log: \(bridge.log)")
        #expect(bridge.log.contains(nowhere), "log does not name the queue: \(bridge.log)")
    }

    @Test func heartbeatsKeepAnIdleConnectionOpen() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-heartbeat")
        let queue = AMQPTestSupport.uniqueQueue("heartbeat")
        let bridge = try AMQPTestSupport.bridge(
            spool: spool, url: broker.url,
            ["--no-ingest", "--heartbeat", "1", "--result-queue", queue])
        defer { AMQPTestSupport.stop(bridge) }
        #expect(waitUntil(timeout: 20) { bridge.log.contains("heartbeat=1") }, "\(bridge.log)")

        // Idle for several intervals: a silent client is dropped after two.
        Thread.sleep(forTimeInterval: 5)
        let result = try Self.finishedJob(spool.spool, source: .amqp, digits: "60")
        let messages = try TestClient(broker.url).drain(queue, quiet: 3)
        #expect(!bridge.log.contains("broker connection lost"), "log: \(bridge.log)")
        let ids = messages.map { $0.properties.messageID ?? "-" }
        #expect(ids == [result.id], "got \(ids), want the result after the idle time")
    }

    @Test func credentialsFromFileOrEnvironmentAreNeverLogged() throws {
        let broker = try RabbitMQ.shared()
        let spool = try TemporarySpool("amqp-credentials")
        let wrong = "amqp://guest:pw-s3cret-x@127.0.0.1:\(broker.port)/"
        let urlFile = spool.directory.file("broker-url")
        try (wrong + "\n").write(toFile: urlFile, atomically: true, encoding: .utf8)
        let refused = try ChildProcess(
            ChildProcess.product("ocrspool-amqp"),
            ["--spool", spool.spool.root, "--url-file", urlFile, "--no-ingest"],
            logDirectory: spool.directory.path)
        #expect(waitUntil(timeout: 20) { refused.log.contains("broker connection lost") })
        AMQPTestSupport.stop(refused)
        let refusal = refused.log.contains("ACCESS_REFUSED") || refused.log.contains("403")
        #expect(refusal, "log: \(refused.log)")
        #expect(!refused.log.contains("pw-s3cret-x"), "the password was logged: \(refused.log)")

        let fromEnvironment = try ChildProcess(
            ChildProcess.product("ocrspool-amqp"), ["--spool", spool.spool.root, "--no-ingest"],
            environment: ["OCRSPOOL_AMQP_URL": broker.url], logDirectory: spool.directory.path)
        defer { AMQPTestSupport.stop(fromEnvironment) }
        #expect(waitUntil(timeout: 20) { fromEnvironment.log.contains("connected to broker") })
        #expect(!fromEnvironment.log.contains("guest:guest"), "log: \(fromEnvironment.log)")
    }
}
