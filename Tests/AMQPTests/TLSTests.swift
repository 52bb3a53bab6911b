import AMQPKit
import Foundation
import SpoolKit
import Testing
import TestKit

/// `amqps://` URLs reach a TLS listener and check its certificate.
struct TLSTests {
    /// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it.
    static func makeCertificates(in directory: TemporaryDirectory) throws -> RabbitMQ.TLSFiles {
        let path = directory.file
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"),
             "-out", path("ca.pem"), "-days", "2", "-subj", "/CN=ocrspool test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"),
             "-out", path("server.csr"), "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"),
             "-CAkey", path("ca.key"), "-CAcreateserial", "-out", path("server.pem"),
             "-days", "2", "-extfile", path("san.cnf")],
        ]
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            toFile: path("san.cnf"), atomically: true, encoding: .utf8)
        for step in steps {
            let output = try AMQPTestSupport.run("/usr/bin/openssl", step, timeout: 60)
            guard output.status == 0 else { throw SupportError("openssl: \(output.text)") }
        }
        // The node reads the key as whatever user it runs as.
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o644], ofItemAtPath: path("server.key"))
        return RabbitMQ.TLSFiles(
            caCertificate: path("ca.pem"), certificate: path("server.pem"),
            key: path("server.key"))
    }

    @Test func amqpsURLPublishesThroughAVerifiedTLSConnection() throws {
        let spool = try TemporarySpool("amqp-tls")
        let files = try Self.makeCertificates(in: spool.directory)
        let broker = try RabbitMQ(tls: files)
        try broker.start()
        defer { broker.stop() }
        let tlsURL = "amqps://guest:guest@localhost:\(broker.tlsPort ?? 0)/"
        let queue = AMQPTestSupport.uniqueQueue("tls")
        let result = try EgressTests.finishedJob(spool.spool, source: .amqp, digits: "443")

        let untrusting = try AMQPTestSupport.bridge(
            spool: spool, url: tlsURL, ["--no-ingest", "--result-queue", queue])
        #expect(waitUntil(timeout: 30) { untrusting.log.contains("broker connection lost") })
        AMQPTestSupport.stop(untrusting)
        #expect(!untrusting.log.contains("connected to broker"), "log: \(untrusting.log)")

        let trusting = try AMQPTestSupport.bridge(
            spool: spool, url: tlsURL,
            ["--no-ingest", "--result-queue", queue, "--tls-ca", files.caCertificate])
        defer { AMQPTestSupport.stop(trusting) }
        let connected = waitUntil(timeout: 30) {
            trusting.log.contains("connected to broker url=amqps://")
        }
        #expect(connected, "log: \(trusting.log)")
        let messages = try TestClient(broker.url).drain(queue, quiet: 3)
        let ids = messages.map { $0.properties.messageID ?? "-" }
        #expect(ids == [result.id], "got \(ids), want the job's result over TLS")
    }
}
