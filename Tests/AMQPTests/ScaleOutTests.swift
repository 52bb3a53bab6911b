import AMQPKit
import Foundation
import SpoolKit
import Testing
import TestKit

/// Two spools, two "hosts", one broker: host A has no OCR and sends its jobs
/// through the work queue; host B reads them and answers.
struct ScaleOutTests {
    @Test func jobsOfHostAAreReadByHostBAndSurviveKillingB() throws {
        let broker = try RabbitMQ.shared()
        let hostA = try TemporarySpool("amqp-host-a")
        let hostB = try TemporarySpool("amqp-host-b")
        let work = AMQPTestSupport.uniqueQueue("work")
        let replies = AMQPTestSupport.uniqueQueue("replies-a")
        let unused = AMQPTestSupport.uniqueQueue("unused")

        let bridgeA = try AMQPTestSupport.bridge(
            spool: hostA, url: broker.url,
            ["--remote", "--no-ingest", "--work-queue", work, "--reply-queue", replies,
             "--result-queue", unused, "--remote-inflight", "4"])
        var ocrB = try AMQPTestSupport.ocr(spool: hostB)
        var bridgeB = try AMQPTestSupport.bridge(
            spool: hostB, url: broker.url,
            ["--ingest-queue", work, "--json", "--result-queue", unused, "--prefetch", "2"])
        defer {
            AMQPTestSupport.stop(bridgeA)
            AMQPTestSupport.stop(bridgeB)
            AMQPTestSupport.stop(ocrB)
        }

        let numbers = (0..<16).map { String(1000 + $0 * 617) }
        var expected: [String: String] = [:]
        for number in numbers {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath:
                AMQPTestSupport.numberImage(number, in: hostA.directory))))
            let name = try hostA.spool.submit(
                bytes, tail: "png", meta: JobMeta(source: .cli, expected: number))
            expected[name.string] = number
        }

        // Kill B, both daemons, once it has answered some jobs but not all.
        let someDone = waitUntil(timeout: 120) {
            ((try? hostA.spool.results(in: .done)) ?? []).count >= 3
        }
        #expect(
            someDone,
            "no job came back; A: \(bridgeA.log.suffix(1500)) B: \(bridgeB.log.suffix(1500))")
        ocrB.kill9()
        bridgeB.kill9()
        let doneAtKill = ((try? hostA.spool.results(in: .done)) ?? []).count
        ocrB = try AMQPTestSupport.ocr(spool: hostB)
        bridgeB = try AMQPTestSupport.bridge(
            spool: hostB, url: broker.url,
            ["--ingest-queue", work, "--json", "--result-queue", unused, "--prefetch", "2"])

        let allDone = waitUntil(timeout: 180) {
            AMQPTestSupport.results(hostA.spool).count >= numbers.count
        }
        let finished = AMQPTestSupport.results(hostA.spool).count
        #expect(allDone, "A finished \(finished) of \(numbers.count)")
        #expect(doneAtKill < numbers.count, "B was killed after the run, not during it")

        for result in AMQPTestSupport.results(hostA.spool) {
            let want = expected[result.id] ?? "?"
            #expect(result.status == .done, "\(result.id): got \(result.status), want done")
            #expect(result.digits == want, "\(result.id): got \(result.digits), want \(want)")
            #expect(result.verified == true, "\(result.id): not verified")
            #expect(result.source == .cli, "\(result.id): source \(result.source)")
            let worker = result.worker ?? "-"
            #expect(worker.hasPrefix("amqp:"), "\(result.id): worker \(worker)")
        }

        // B read them: its jobs carry A's job ids as their message ids.
        let readByB = Set(AMQPTestSupport.results(hostB.spool).compactMap(\.messageID))
        let missing = Set(expected.keys).subtracting(readByB)
        #expect(missing.isEmpty, "jobs of A never read by B: \(missing)")
        #expect(hostA.entries(.incoming).isEmpty && hostA.entries(.processing).isEmpty)
    }

    @Test func jobsHeldByAKilledRemoteBridgeGoBackToIncoming() throws {
        let broker = try RabbitMQ.shared()
        let host = try TemporarySpool("amqp-killed")
        let (bridge, work) = try AMQPTestSupport.remoteBridge(
            spool: host, url: broker.url, label: "killed")
        for index in 0..<3 {
            try host.spool.submit(Array("image \(index)".utf8), meta: JobMeta(source: .cli))
        }

        let sent = waitUntil(timeout: 30) { (try? TestClient(broker.url).depth(work)) == 3 }
        #expect(sent, "work queue did not get the 3 jobs; bridge: \(bridge.log)")
        #expect(host.entries(.processing).count == 3, "processing: \(host.entries(.processing))")
        bridge.kill9()

        let report = try host.spool.recover(maxAttempts: 5)
        #expect(report.returned.count == 3, "got \(report.returned), want 3 jobs returned")
        #expect(host.entries(.incoming).count == 3, "incoming: \(host.entries(.incoming))")
    }
}

/// The remote bridge against a reader played by the test itself.
struct RemoteDeadlineTests {
    @Test func workTheBrokerCannotRouteIsRetriedWithAGrowingWait() throws {
        let broker = try RabbitMQ.shared()
        let host = try TemporarySpool("amqp-unroutable-work")
        let (bridge, work) = try AMQPTestSupport.remoteBridge(
            spool: host, url: broker.url, label: "gone")
        defer { AMQPTestSupport.stop(bridge) }
        #expect(waitUntil(timeout: 30) { bridge.log.contains("connected to broker") })

        // The work queue vanishes after the bridge declared it: every send comes back.
        let client = try TestClient(broker.url)
        try client.connection.deleteQueue(work, channel: 1)
        let name = try host.spool.submit(Array("image".utf8), meta: JobMeta(source: .cli))
        Thread.sleep(forTimeInterval: 6)
        let refusals = bridge.log.components(separatedBy: "work not accepted").count - 1
        // Waits of 1, 2 and 4 s fit 3 or 4 refusals in 6 s; without them, hundreds.
        #expect((2...5).contains(refusals),
                "got \(refusals) refusals in 6 s\n\(bridge.log.suffix(2000))")
        #expect(host.spool.state(of: name) == .queued || host.spool.state(of: name) == .processing)
    }

    @Test func heldJobIsSentAgainWhenNoAnswerComesInTime() throws {
        let broker = try RabbitMQ.shared()
        let host = try TemporarySpool("amqp-deadline")
        let (bridge, work) = try AMQPTestSupport.remoteBridge(
            spool: host, url: broker.url, label: "deadline", ["--remote-timeout", "2s"])
        defer { AMQPTestSupport.stop(bridge) }
        let name = try host.spool.submit(
            Array("image".utf8), meta: JobMeta(source: .cli, expected: "55"))

        // The first reader takes the job and loses it.
        let reader = try TestClient(broker.url)
        let lost = try reader.drain(work, quiet: 3, limit: 1)
        #expect(lost.first?.properties.correlationID == name.string, "got \(lost.count) messages")

        // It comes again; this reader answers, as `ocrspool-amqp --json` would.
        let again = try TestClient(broker.url).drain(work, quiet: 6, limit: 1)
        let request = try #require(again.first, "the job was not sent again; \(bridge.log)")
        var answer = JobResult(
            id: "20261203T000000-remote00.png", status: .done, text: "55", digits: "55",
            numbers: ["55"], confidence: 91, source: .amqp, submittedAt: Date(), attempts: 1)
        answer.worker = "reader-b:1"
        let body = Array(try SpoolJSON.encoder().encode(answer))
        let replyTo = try #require(request.properties.replyTo)
        try reader.publish(
            [(body: body, properties: AMQPProperties(
                contentType: "application/json", deliveryMode: 2,
                correlationID: request.properties.correlationID))],
            to: replyTo)

        let finished = waitUntil(timeout: 20) { host.spool.result(of: name) != nil }
        let result = host.spool.result(of: name)
        #expect(finished, "job not finished; bridge: \(bridge.log)")
        let read = result.map { "\($0.digits) \(String(describing: $0.verified))" } ?? "none"
        #expect(read == "55 Optional(true)", "got \(read), want 55 verified")
        #expect(result?.source == .cli, "got source \(String(describing: result?.source))")
        #expect(result?.worker == "amqp:reader-b:1", "got worker \(result?.worker ?? "-")")
        #expect(bridge.log.contains("no answer in time, sending again"), "log: \(bridge.log)")
    }
}
