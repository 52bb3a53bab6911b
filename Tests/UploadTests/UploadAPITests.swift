import Foundation
import SpoolKit
import TestKit
import Testing

@Suite("upload API")
struct UploadAPITests {
    @Test func formUploadBecomesAJobInIncomingAnsweredWith202AndLocation() throws {
        let daemon = try UploadDaemon()
        let image = try Images.clean()
        let response = try RawHTTP.postForm(
            daemon.target, "/api/image/process",
            fields: [("expected", "06018"), ("mode", "digits")],
            files: [("imageData", "meter.png", image)])

        #expect(response.status == 202, "got \(response.status) \(response.text), want 202")
        let id = try #require(response.json["id"] as? String)
        let name = try #require(JobName(id), "id \(id) is not a spool name")
        #expect(response.json["status"] as? String == "queued")
        #expect(response.headers["location"] == "/api/image/\(id)")
        #expect(id.hasSuffix(".png"), "got \(id), want the type judged from the bytes")

        let path = daemon.spool.spool.path(.incoming, name)
        let stored = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(stored) == image, "stored \(stored.count) bytes, want \(image.count)")
        let meta = daemon.spool.spool.meta(of: name)
        #expect(meta.source == .http)
        #expect(meta.expected == "06018")
        #expect(meta.mode == "digits")
        #expect(meta.originalName == "meter.png")
        #expect(daemon.spool.entries(.tmp).isEmpty, "tmp/ holds \(daemon.spool.entries(.tmp))")
    }

    @Test func rawImageBodyIsAcceptedAndTypedByItsBytes() throws {
        let daemon = try UploadDaemon()
        let image = try Images.jpeg()
        let response = try RawHTTP.request(
            daemon.target, "POST", "/api/image/process?expected=3233",
            headers: ["Content-Type": "image/png"], body: image)

        #expect(response.status == 202, "got \(response.status) \(response.text), want 202")
        let id = try #require(response.json["id"] as? String)
        #expect(id.hasSuffix(".jpg"), "got \(id), want .jpg from the JPEG signature")
        let name = try #require(JobName(id))
        #expect(daemon.spool.spool.meta(of: name).expected == "3233")
    }

    @Test func formFieldReplacesTheSameFieldInTheQuery() throws {
        let daemon = try UploadDaemon()
        let response = try RawHTTP.postForm(
            daemon.target, "/api/image/process?expected=12&mode=text",
            fields: [("expected", "34"), ("mode", "digits")],
            files: [("imageData", "meter.png", try Images.clean())])

        #expect(response.status == 202, "got \(response.status) \(response.text), want 202")
        let id = try #require(response.json["id"] as? String)
        let meta = daemon.spool.spool.meta(of: try #require(JobName(id)))
        #expect(meta.expected == "34", "got expected \(meta.expected ?? "none"), want 34")
        #expect(meta.mode == "digits", "got mode \(meta.mode ?? "none"), want digits")
    }

    @Test func uploadWithWaitAnswers200WithTheResultWhenTheJobFinishes() throws {
        let daemon = try UploadDaemon()
        let image = try Images.clean()
        let target = daemon.target
        let pending = Background {
            try RawHTTP.postForm(
                target, "/api/image/process?wait=20", fields: [("expected", "06018")],
                files: [("imageData", "a.png", image)])
        }

        var entry: String?
        #expect(waitUntil(timeout: 10) {
            entry = daemon.spool.entries(.incoming).first
            return entry != nil
        }, "the upload never reached incoming/")
        let name = try #require(entry.flatMap(JobName.init))
        try daemon.spool.spool.finishForTest(name, digits: "06018")

        let response = try pending.value(timeout: 15)
        #expect(response.status == 200, "got \(response.status) \(response.text), want 200")
        #expect(response.json["status"] as? String == "done")
        #expect(response.json["digits"] as? String == "06018")
        #expect(response.json["verified"] as? Bool == true)
    }

    /// With inotify, and with `--poll` where only a timer looks for results.
    @Test(arguments: [[String](), ["--poll"]])
    func statusLongPollIsWokenByTheResultNotByItsTimeout(_ arguments: [String]) throws {
        let daemon = try UploadDaemon(arguments)
        let spool = daemon.spool.spool
        let name = try spool.submit(Images.clean(), tail: "png", meta: JobMeta(source: .cli))
        let target = daemon.target
        let started = Date()
        let pending = Background {
            try RawHTTP.request(target, "GET", "/api/image/\(name.string)?wait=30")
        }

        Thread.sleep(forTimeInterval: 0.5)
        try spool.finishForTest(name, digits: "777")
        let response = try pending.value(timeout: 40)
        let elapsed = Date().timeIntervalSince(started)

        #expect(response.status == 200, "got \(response.status), want 200")
        #expect(response.json["digits"] as? String == "777")
        #expect(elapsed < 15, "answered after \(elapsed)s: slept out its 30s wait, want woken")
    }

    @Test func longPollThatRunsOutAnswersTheCurrentState() throws {
        let daemon = try UploadDaemon()
        let name = try daemon.spool.spool.submit(
            Images.clean(), tail: "png", meta: JobMeta(source: .cli))
        let response = try RawHTTP.request(
            daemon.target, "GET", "/api/image/\(name.string)?wait=1")

        #expect(response.status == 200, "got \(response.status), want 200")
        #expect(response.json["status"] as? String == "queued")
        #expect(response.json["id"] as? String == name.string)
    }

    @Test func uploadWaitIsCappedByMaxWaitAndAnswers202WhenItRunsOut() throws {
        let daemon = try UploadDaemon(["--max-wait", "1s"])
        let started = Date()
        let response = try RawHTTP.postForm(
            daemon.target, "/api/image/process?wait=30",
            fields: [], files: [("imageData", "meter.png", try Images.clean())], timeout: 40)
        let elapsed = Date().timeIntervalSince(started)

        #expect(response.status == 202, "got \(response.status) \(response.text), want 202")
        #expect(response.json["status"] as? String == "queued")
        #expect(elapsed >= 0.9 && elapsed < 10, "answered after \(elapsed)s, want the 1 s cap")
    }

    @Test func finishedJobIsServedWithItsResultFields() throws {
        let daemon = try UploadDaemon()
        let spool = daemon.spool.spool
        let name = try spool.submit(
            Images.clean(), tail: "png", meta: JobMeta(source: .cli, expected: "12"))
        try spool.finishForTest(name, digits: "12")
        let response = try RawHTTP.request(daemon.target, "GET", "/api/image/\(name.string)")

        #expect(response.status == 200)
        for key in ["id", "status", "text", "digits", "numbers", "confidence", "expected",
                    "verified", "source", "submitted_at", "finished_at", "attempts"] {
            #expect(response.json[key] != nil, "result lacks \(key): \(response.text)")
        }
    }

    @Test func prunedJobIsAnsweredFromTheResultsDatabase() throws {
        let daemon = try UploadDaemon()
        let spool = daemon.spool.spool
        let name = try spool.submit(
            Images.clean(), tail: "png", meta: JobMeta(source: .cli, expected: "12"))
        try spool.finishForTest(name, digits: "12")
        let recorder = try ChildProcess(
            ChildProcess.product("ocrspool-result"),
            ["--spool", spool.root, "--keep-done", "0s", "--prune-interval", "50ms"],
            logDirectory: daemon.spool.directory.path)
        defer { recorder.signal(SIGTERM) }
        #expect(waitUntil(timeout: 20) { spool.result(of: name) == nil },
                "never pruned: \(recorder.log)")

        let response = try RawHTTP.request(daemon.target, "GET", "/api/image/\(name.string)")
        #expect(response.status == 200, "got \(response.status) \(response.text), want 200")
        #expect(response.json["digits"] as? String == "12", "got \(response.text)")
        #expect(response.json["verified"] as? Bool == true, "got \(response.text)")
        let unknown = try RawHTTP.request(
            daemon.target, "GET", "/api/image/20261203T000000-aaaaaaaa.png")
        #expect(unknown.status == 404, "got \(unknown.status), want 404 beside a database")
    }

    @Test func unknownAndMalformedIdsAre404() throws {
        let daemon = try UploadDaemon()
        for path in ["/api/image/20261203T000000-aaaaaaaa.png", "/api/image/nope",
                     "/api/image/", "/api/other"] {
            let response = try RawHTTP.request(daemon.target, "GET", path)
            #expect(response.status == 404, "\(path): got \(response.status), want 404")
            #expect(response.errorCode == "not_found", "\(path): got \(response.text)")
        }
    }

    @Test func fullQueueAnswers503WithRetryAfterAndWritesNothing() throws {
        let daemon = try UploadDaemon(["--max-queue", "1"])
        try daemon.spool.drop(Images.clean(), as: "one.png")
        try daemon.spool.drop(Images.clean(), as: "two.png")
        // The daemon counts incoming/ at most every 250 ms.
        Thread.sleep(forTimeInterval: 0.3)
        let before = daemon.snapshot()
        let response = try RawHTTP.postForm(
            daemon.target, "/api/image/process", files: [("imageData", "a.png", Images.clean())])

        #expect(response.status == 503, "got \(response.status), want 503")
        #expect(response.errorCode == "queue_full")
        #expect(response.headers["retry-after"] != nil, "no Retry-After header")
        #expect(daemon.snapshot() == before, "got \(daemon.snapshot()), want \(before)")
    }

    @Test func lowDiskAnswers507AndReadyzSaysNotReady() throws {
        let daemon = try UploadDaemon(["--min-free", "900000000G"])
        let before = daemon.snapshot()
        let response = try RawHTTP.postForm(
            daemon.target, "/api/image/process", files: [("imageData", "a.png", Images.clean())])
        #expect(response.status == 507, "got \(response.status), want 507")
        #expect(daemon.snapshot() == before)

        let ready = try RawHTTP.request(daemon.target, "GET", "/readyz")
        #expect(ready.status == 503, "readyz: got \(ready.status), want 503")
        let health = try RawHTTP.request(daemon.target, "GET", "/healthz")
        #expect(health.status == 200, "healthz: got \(health.status), want 200")
    }

    @Test func readyzIsReadyOnAWritableSpool() throws {
        let daemon = try UploadDaemon()
        let ready = try RawHTTP.request(daemon.target, "GET", "/readyz")
        #expect(ready.status == 200, "got \(ready.status) \(ready.text), want 200")
    }

    @Test func metricsShowQueueDepthsUploadCountsBytesAndLatency() throws {
        let daemon = try UploadDaemon()
        let image = try Images.clean()
        _ = try RawHTTP.postForm(
            daemon.target, "/api/image/process", files: [("imageData", "a.png", image)])
        _ = try RawHTTP.postForm(
            daemon.target, "/api/image/process",
            files: [("imageData", "b.png", Array("not an image at all".utf8))])
        let response = try RawHTTP.request(daemon.target, "GET", "/metrics")

        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.contains("version=0.0.4") == true)
        let text = response.text
        for line in ["ocrspool_queue_jobs{queue=\"incoming\"} 1",
                     "ocrspool_uploads_accepted_total 1",
                     "ocrspool_upload_bytes_total \(image.count)",
                     "ocrspool_uploads_refused_total{reason=\"not_an_image\"} 1",
                     "# TYPE ocrspool_http_request_duration_seconds histogram",
                     "ocrspool_http_request_duration_seconds_count{route=\"upload\"} 2"] {
            #expect(text.contains(line), "metrics lack \(line):\n\(text)")
        }
    }

    @Test func crossOriginHeadersOnlyForAllowedOriginsAndNeverAWildcard() throws {
        let daemon = try UploadDaemon(["--allow-origin", "https://app.example"])
        let allowed = try RawHTTP.request(
            daemon.target, "GET", "/healthz", headers: ["Origin": "https://app.example"])
        #expect(allowed.headers["access-control-allow-origin"] == "https://app.example")

        let other = try RawHTTP.request(
            daemon.target, "GET", "/healthz", headers: ["Origin": "https://evil.example"])
        #expect(other.headers["access-control-allow-origin"] == nil)

        let preflight = try RawHTTP.request(
            daemon.target, "OPTIONS", "/api/image/process",
            headers: ["Origin": "https://evil.example", "Access-Control-Request-Method": "POST"])
        #expect(preflight.status == 403, "got \(preflight.status), want 403")
        #expect(preflight.headers["access-control-allow-origin"] == nil)
    }

    @Test func servesTheUploadPageItself() throws {
        let daemon = try UploadDaemon()
        let page = try RawHTTP.request(daemon.target, "GET", "/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(page.text.contains("name=\"imageData\""), "the form lacks the imageData field")
        let script = try RawHTTP.request(daemon.target, "GET", "/app.js")
        #expect(script.status == 200)
        #expect(script.text.contains("/api/image"))
        let missing = try RawHTTP.request(daemon.target, "GET", "/../Package.swift")
        #expect(missing.status == 404, "got \(missing.status), want 404")
    }

    @Test func listensOnAUnixSocket() throws {
        let directory = try TemporaryDirectory("upload-sock")
        let path = directory.file("upload.sock")
        let daemon = try UploadDaemon(listen: "unix:\(path)")
        let up = waitUntil(timeout: 20) {
            (try? RawHTTP.request(.unix(path), "GET", "/healthz", timeout: 2))?.status == 200
        }
        #expect(up, "no answer on \(path):\n\(daemon.process.log)")
        let response = try RawHTTP.postForm(
            .unix(path), "/api/image/process", files: [("imageData", "a.png", Images.clean())])
        #expect(response.status == 202, "got \(response.status), want 202")
    }

    @Test func servesTheSocketSystemdPassesIn() throws {
        let spool = try TemporarySpool("upload-systemd")
        let port = freePort()
        let process = try ChildProcess(
            "/usr/bin/systemd-socket-activate",
            ["-l", "127.0.0.1:\(port)", ChildProcess.product("ocrspool-upload"),
             "--spool", spool.spool.root, "--listen", "systemd", "--www", UploadDaemon.www],
            logDirectory: spool.directory.path)
        defer { process.kill9() }

        let up = waitUntil(timeout: 20) {
            (try? RawHTTP.request(.tcp(port), "GET", "/healthz", timeout: 2))?.status == 200
        }
        #expect(up, "no answer on the passed socket:\n\(process.log)")
        let response = try RawHTTP.postForm(
            .tcp(port), "/api/image/process", files: [("imageData", "a.png", Images.clean())])
        #expect(response.status == 202, "got \(response.status), want 202")
        #expect(process.log.contains("listen=systemd"), "log: \(process.log)")
    }

    @Test func idleConnectionIsClosedAfterTheIdleTimeout() throws {
        let daemon = try UploadDaemon(["--idle-timeout", "1s"])
        let fd = try RawHTTP.connect(daemon.target, timeout: 10)
        defer { close(fd) }
        let started = Date()
        let bytes = try RawHTTP.readAll(fd)
        let elapsed = Date().timeIntervalSince(started)
        #expect(bytes.isEmpty, "an idle client got \(bytes.count) bytes, want a plain close")
        #expect(elapsed < 8, "closed after \(elapsed)s, want about the 1s idle timeout")
    }

    @Test func bodyTrickledPastTheBodyTimeoutIsCutOffAndLeavesNothing() throws {
        let daemon = try UploadDaemon(["--body-timeout", "2s", "--idle-timeout", "5s"])
        let fd = try RawHTTP.connect(daemon.target, timeout: 10)
        defer { close(fd) }
        let png = Array(try Images.clean().prefix(64))
        let head = "POST /api/image/process HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: image/png\r\nContent-Length: 100000\r\n\r\n"
        try RawHTTP.send(fd, Array(head.utf8) + png)

        // A byte every quarter second never trips the 5 s idle timeout.
        let started = Date()
        var cutOffAfter: Double?
        for _ in 0..<48 {
            Thread.sleep(forTimeInterval: 0.25)
            if (try? RawHTTP.send(fd, [0x41])) == nil {
                cutOffAfter = Date().timeIntervalSince(started)
                break
            }
        }
        let elapsed = try #require(cutOffAfter, "a trickling body held its connection for 12 s")
        #expect(elapsed < 8, "cut off after \(elapsed)s, want about the 2 s body timeout")
        #expect(waitUntil(timeout: 5) { daemon.spool.entries(.tmp).isEmpty },
                "tmp/ holds \(daemon.spool.entries(.tmp)) after the cut-off")
        #expect(daemon.spool.entries(.incoming).isEmpty)
    }

    @Test func connectionLimitHoldsExtraClientsBackUntilSlotsFree() throws {
        // One thread: libmicrohttpd splits the limit between its threads.
        let daemon = try UploadDaemon(["--max-connections", "4", "--threads", "1"])
        let idle = try (0..<4).map { _ in try RawHTTP.connect(daemon.target, timeout: 10) }
        Thread.sleep(forTimeInterval: 0.3)
        let extra = try? RawHTTP.request(daemon.target, "GET", "/healthz", timeout: 2)
        #expect(extra == nil, "a fifth client was served beyond --max-connections 4")

        for fd in idle { close(fd) }
        let served = waitUntil(timeout: 10) {
            (try? RawHTTP.request(daemon.target, "GET", "/healthz", timeout: 2))?.status == 200
        }
        #expect(served, "no client was served after the idle ones left")
    }

    @Test func sigtermAnswersParkedRequestsAndExitsZero() throws {
        let daemon = try UploadDaemon()
        let name = try daemon.spool.spool.submit(
            Images.clean(), tail: "png", meta: JobMeta(source: .cli))
        let target = daemon.target
        let pending = Background {
            try RawHTTP.request(target, "GET", "/api/image/\(name.string)?wait=60")
        }
        #expect(waitUntil(timeout: 10) { daemon.process.log.contains("started") })
        Thread.sleep(forTimeInterval: 0.5)

        daemon.process.signal(SIGTERM)
        let response = try pending.value(timeout: 15)
        #expect(response.status == 200, "parked request got \(response.status), want 200")
        #expect(response.json["status"] as? String == "queued")
        let status = daemon.process.wait(timeout: 15)
        #expect(status == 0, "exit status \(String(describing: status)), want 0")
        #expect(daemon.process.log.contains("stopped"))
    }
}
