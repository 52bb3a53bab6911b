import Foundation
import ResultStore
import SpoolKit
import TestKit
import Testing

/// `--webhook` POSTs each result at least once to a real HTTP server on
/// 127.0.0.1, retries what the server refuses, gives up on one that hangs.
@Suite struct WebhookTests {
    /// A Python HTTP server: answers 503 to the first POST of each job id, 200
    /// after, and appends `HEADER_ID JSON_ID` for each accepted POST to a log;
    /// a POST to `/hang` gets no answer for 10 seconds.
    static let server = """
        import http.server, json, sys, threading, time
        port, log = int(sys.argv[1]), sys.argv[2]
        seen, lock = set(), threading.Lock()
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                if self.path == '/hang':
                    time.sleep(10)
                job = json.loads(body)['id']
                with lock:
                    first = job not in seen
                    seen.add(job)
                    if not first:
                        with open(log, 'a') as f:
                            f.write(self.headers['X-Ocrspool-Job'] + ' ' + job + '\\n')
                self.send_response(503 if first else 200)
                self.send_header('Content-Length', '0')
                self.end_headers()
        server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
        server.daemon_threads = True
        server.serve_forever()
        """

    struct Server {
        let process: ChildProcess
        let port: UInt16
        let log: String
    }

    func startServer(in harness: ResultDaemonHarness) throws -> Server {
        let port = freePort()
        let script = harness.spool.directory.file("server.py")
        let log = harness.spool.directory.file("server.log")
        try WebhookTests.server.write(toFile: script, atomically: true, encoding: .utf8)
        let process = try ChildProcess(
            "/usr/bin/python3", [script, String(port), log],
            logDirectory: harness.spool.directory.path)
        let listening = waitUntil(timeout: 10) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }
        #expect(listening, "the test server did not listen\n\(process.log)")
        return Server(process: process, port: port, log: log)
    }

    @Test func everyResultIsPostedAtLeastOnceThroughRefusals() throws {
        let harness = try ResultDaemonHarness("result-webhook")
        let server = try startServer(in: harness)
        let daemon = try harness.start([
            "--webhook", "http://127.0.0.1:\(server.port)/results", "--hook-backoff", "100ms",
        ])
        var names: [String] = []
        for index in 0..<200 {
            names.append(try harness.spool.spool.makeFinishedJob(digits: "\(index)").string)
        }

        let settled = try harness.waitSettled(count: 200, timeout: 60)
        #expect(settled, "not settled\n\(daemon.log.suffix(2000))")
        let lines = ((try? String(contentsOfFile: server.log, encoding: .utf8)) ?? "")
            .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let mismatched = lines.filter { $0.count != 2 || $0[0] != $0[1] }
        #expect(mismatched.isEmpty, "header and JSON ids differ: \(mismatched.prefix(3))")
        let accepted = Set(lines.compactMap(\.last))
        #expect(accepted == Set(names), "server missed \(Set(names).subtracting(accepted).count)")
        #expect(daemon.log.contains("HTTP status 503"), "refusals not logged")

        // Hundreds of POSTs leave no descriptors behind.
        let descriptors = try FileManager.default.contentsOfDirectory(
            atPath: "/proc/\(daemon.pid)/fd").count
        #expect(descriptors < 64, "got \(descriptors) open descriptors after 400 POSTs")
        daemon.signal(SIGTERM)
        #expect(daemon.wait(timeout: 20) == 0)
        server.process.kill9()
    }

    @Test func webhookCredentialsAndQueryNeverReachTheLogOrTheDatabase() throws {
        let harness = try ResultDaemonHarness("result-webhook-secret")
        let server = try startServer(in: harness)
        let daemon = try harness.start([
            "--webhook", "http://hook:s3cret@127.0.0.1:\(server.port)/results?token=t0ken",
            "--hook-backoff", "100ms",
        ])
        let name = try harness.spool.spool.makeFinishedJob().string

        // The server refuses each job's first POST, so a failure is logged and stored.
        let settled = try harness.waitSettled(count: 1, timeout: 30)
        #expect(settled, "not settled\n\(daemon.log.suffix(2000))")
        let redacted = "HTTP status 503 from http://…@127.0.0.1:\(server.port)/results?…"
        #expect(daemon.log.contains(redacted), "no redacted refusal logged\n\(daemon.log)")
        let stored = try harness.store().deliveries(of: name).compactMap(\.lastError).joined()
        for secret in ["s3cret", "t0ken"] {
            #expect(!daemon.log.contains(secret), "\(secret) in the log:\n\(daemon.log)")
            #expect(!stored.contains(secret), "\(secret) stored: \(stored)")
        }
        server.process.kill9()
    }

    @Test func aHangingWebhookTimesOutAndIsGivenUpWithTheRecordKept() throws {
        let harness = try ResultDaemonHarness("result-webhook-hang")
        let server = try startServer(in: harness)
        let daemon = try harness.start([
            "--webhook", "http://127.0.0.1:\(server.port)/hang", "--hook-timeout", "1s",
            "--hook-attempts", "2", "--hook-backoff", "100ms",
        ])
        let name = try harness.spool.spool.makeFinishedJob().string

        let settled = try harness.waitSettled(count: 1, timeout: 30)
        #expect(settled, "not settled\n\(daemon.log.suffix(2000))")
        let store = try harness.store()
        #expect(try store.deliveries(of: name).map(\.state) == [.abandoned])
        #expect(try store.result(name) != nil)
        #expect(daemon.log.contains("timed out after 1.0s"), "no timeout logged\n\(daemon.log)")
        server.process.kill9()
    }

    @Test func aWebhookThatIsDownIsRetriedUntilItComesUp() throws {
        let harness = try ResultDaemonHarness("result-webhook-down")
        let port = freePort()
        let daemon = try harness.start([
            "--webhook", "http://127.0.0.1:\(port)/results", "--hook-backoff", "100ms",
            "--hook-attempts", "1000",
        ])
        let name = try harness.spool.spool.makeFinishedJob().string
        let refused = waitUntil(timeout: 20) { daemon.log.contains("cannot connect") }
        #expect(refused, "no refused connection logged\n\(daemon.log.suffix(1500))")

        let script = harness.spool.directory.file("server.py")
        let log = harness.spool.directory.file("server.log")
        try WebhookTests.server.write(toFile: script, atomically: true, encoding: .utf8)
        let server = try ChildProcess(
            "/usr/bin/python3", [script, String(port), log],
            logDirectory: harness.spool.directory.path)
        let delivered = try harness.waitSettled(count: 1, timeout: 30)
        #expect(delivered, "not delivered once the server came up\n\(daemon.log.suffix(1500))")
        let accepted = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(accepted.contains(name))
        server.kill9()
    }
}
