import Foundation
import SpoolKit
import TestKit
import Testing

/// The whole path a user takes: nginx in front, the upload daemon, the real OCR
/// daemon reading the number, and the upload page in a real headless browser.
@Suite("end to end")
struct EndToEndTests {
    /// The repository's nginx server block, pointed at this test's port, page and daemon.
    static func serverBlock(port: UInt16, upstream: UInt16) throws -> String {
        let path = URL(fileURLWithPath: UploadDaemon.www).deletingLastPathComponent()
            .appendingPathComponent("deploy/nginx/ocrspool.conf").path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let replacements = [
            ("listen 80;", "listen 127.0.0.1:\(port);"),
            ("root /usr/share/ocrspool/www;", "root \(UploadDaemon.www);"),
            ("server 127.0.0.1:8080;", "server 127.0.0.1:\(upstream);"),
        ]
        for (old, new) in replacements {
            guard text.contains(old) else { throw CocoaError(.fileReadCorruptFile) }
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    /// The OCR daemon on the test's spool, one worker.
    static func ocr(_ daemon: UploadDaemon) throws -> ChildProcess {
        try ChildProcess(
            ChildProcess.product("ocrspool-ocr"),
            ["--spool", daemon.spool.spool.root, "--workers", "1"],
            logDirectory: daemon.spool.directory.path)
    }

    @Test func uploadThroughNginxLongPollsAndGetsTheNumberRead() throws {
        let daemon = try UploadDaemon()
        let port = freePort()
        let nginx = try NginxServer(
            serverBlock: EndToEndTests.serverBlock(port: port, upstream: daemon.port),
            port: port, directory: daemon.spool.directory)

        let page = try RawHTTP.request(.tcp(port), "GET", "/")
        #expect(page.status == 200, "page through nginx: got \(page.status)")
        #expect(page.text.contains("imageData"))

        // No OCR daemon yet: the job waits, and so does a long poll parked behind nginx.
        let queued = try RawHTTP.postForm(
            .tcp(port), "/api/image/process", fields: [("expected", Images.cleanDigits)],
            files: [("imageData", "meter.png", Images.clean())])
        #expect(queued.status == 202, "got \(queued.status) \(queued.text)")
        let location = try #require(queued.headers["location"], "no Location in \(queued)")
        let poll = Background {
            try RawHTTP.request(.tcp(port), "GET", "\(location)?wait=60", timeout: 90)
        }
        Thread.sleep(forTimeInterval: 1)
        #expect((try? poll.value(timeout: 0)) == nil, "the long poll answered before any OCR")

        let ocr = try EndToEndTests.ocr(daemon)
        defer { ocr.signal(SIGTERM); _ = ocr.wait(timeout: 10) }
        let status = try poll.value(timeout: 90)
        #expect(status.status == 200, "got \(status.status) \(status.text)\n\(ocr.log)")
        #expect(status.json["status"] as? String == "done", "\(status.text)")
        #expect(status.json["digits"] as? String == Images.cleanDigits, "\(status.text)")

        let response = try RawHTTP.postForm(
            .tcp(port), "/api/image/process?wait=60",
            fields: [("expected", Images.cleanDigits)],
            files: [("imageData", "meter.png", Images.clean())], timeout: 90)
        #expect(response.status == 200, "got \(response.status) \(response.text)\n\(ocr.log)")
        #expect(response.json["digits"] as? String == Images.cleanDigits, "\(response.text)")
        #expect(response.json["verified"] as? Bool == true)
        withExtendedLifetime(nginx) {}
    }

    @Test func nginxRefusesOversizeBodiesWithTheAPIsJSONError() throws {
        let daemon = try UploadDaemon()
        let port = freePort()
        let nginx = try NginxServer(
            serverBlock: EndToEndTests.serverBlock(port: port, upstream: daemon.port),
            port: port, directory: daemon.spool.directory)
        let before = daemon.snapshot()

        let response = try RawHTTP.request(
            .tcp(port), "POST", "/api/image/process",
            headers: ["Content-Type": "image/png"],
            body: Images.clean() + [UInt8](repeating: 0, count: 11 << 20))
        #expect(response.status == 413, "got \(response.status), want 413")
        #expect(response.errorCode == "too_large", "got \(response.text)")
        #expect(daemon.snapshot() == before)
        withExtendedLifetime(nginx) {}
    }

    @Test func thePageInAHeadlessBrowserShowsTheNumberRead() throws {
        let daemon = try UploadDaemon()
        let ocr = try EndToEndTests.ocr(daemon)
        defer { ocr.signal(SIGTERM); _ = ocr.wait(timeout: 10) }
        let image = daemon.spool.directory.file("meter.png")
        try Data(Images.clean()).write(to: URL(fileURLWithPath: image))
        let script = daemon.spool.directory.file("browser.py")
        try EndToEndTests.browserScript.write(toFile: script, atomically: true, encoding: .utf8)

        let port = freePort()
        let nginx = try NginxServer(
            serverBlock: EndToEndTests.serverBlock(port: port, upstream: daemon.port),
            port: port, directory: daemon.spool.directory)
        defer { withExtendedLifetime(nginx) {} }

        let browser = try ChildProcess(
            "/usr/bin/env",
            ["python3", script, "http://127.0.0.1:\(port)/", image, Images.cleanDigits],
            logDirectory: daemon.spool.directory.path)
        let status = browser.wait(timeout: 120)
        if status == nil { browser.kill9() }
        let log = browser.log
        #expect(status == 0, "browser run failed:\n\(log)\n\(daemon.process.log)\n\(ocr.log)")

        let line = log.split(separator: "\n").last { $0.hasPrefix("RESULT ") } ?? ""
        let json = try JSONSerialization.jsonObject(with: Data(line.dropFirst(7).utf8))
        let shown = try #require(json as? [String: String], "no result line in:\n\(log)")
        #expect(shown["number"] == Images.cleanDigits, "page shows \(shown)")
        #expect(shown["confidence"]?.hasSuffix("%") == true, "page shows \(shown)")
        #expect(shown["verdict"]?.hasPrefix("Verified") == true, "page shows \(shown)")
    }

    /// Drives Chromium through Selenium: choose the file, type the expected
    /// number, click, wait for the number, print what the page shows.
    static let browserScript = #"""
        import json, sys
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        url, image, expected = sys.argv[1], sys.argv[2], sys.argv[3]
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--no-first-run"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        try:
            driver.get(url)
            driver.find_element(By.ID, "imageData").send_keys(image)
            driver.find_element(By.ID, "expected").send_keys(expected)
            driver.find_element(By.ID, "submit").click()
            WebDriverWait(driver, 90).until(
                lambda d: d.find_element(By.ID, "number").text
                or d.find_element(By.ID, "error").is_displayed())
            shown = {
                "number": driver.find_element(By.ID, "number").text,
                "confidence": driver.find_element(By.ID, "confidence").text,
                "verdict": driver.find_element(By.ID, "verdict").text,
                "status": driver.find_element(By.ID, "status").text,
                "error": driver.find_element(By.ID, "error").text,
            }
            print("RESULT " + json.dumps(shown), flush=True)
        finally:
            driver.quit()
        """#
}
