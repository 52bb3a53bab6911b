import Foundation
import SpoolKit
import TestKit
import Testing

/// Every bad request gets its status and JSON error, and leaves `tmp/`,
/// `incoming/` and `meta/` exactly as they were.
@Suite("bad input")
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var status: Int
        var codes: Set<String>
        var send: @Sendable (RawHTTP.Target) throws -> RawResponse
    }

    static func cases() throws -> [Case] {
        let png = try Images.clean()
        let path = "/api/image/process"
        return [
            Case(description: "empty body", status: 400, codes: ["empty_body"]) { target in
                try RawHTTP.request(
                    target, "POST", path, headers: ["Content-Type": "image/png"], body: [])
            },
            Case(description: "wrong field", status: 400, codes: ["missing_field"]) { target in
                try RawHTTP.postForm(target, path, files: [("file", "a.png", png)])
            },
            Case(description: "text file named .png", status: 415, codes: ["not_an_image"]) {
                target in
                try RawHTTP.postForm(
                    target, path, files: [("imageData", "a.png", Array("hello, world\n".utf8))])
            },
            Case(description: "truncated PNG", status: 400, codes: ["truncated_image"]) {
                target in
                let half = Array(png.prefix(png.count / 2))
                return try RawHTTP.postForm(target, path, files: [("imageData", "a.png", half)])
            },
            Case(description: "bad multipart boundary", status: 400,
                 codes: ["missing_field", "bad_multipart"]) { target in
                let body = RawHTTP.multipart(
                    boundary: "real-boundary", fields: [], files: [("imageData", "a.png", png)])
                return try RawHTTP.request(
                    target, "POST", path,
                    headers: ["Content-Type": "multipart/form-data; boundary=other-boundary"],
                    body: body)
            },
            Case(description: "multipart without boundary", status: 400,
                 codes: ["bad_multipart"]) { target in
                try RawHTTP.request(
                    target, "POST", path, headers: ["Content-Type": "multipart/form-data"],
                    body: png)
            },
            Case(description: "multipart cut short", status: 400,
                 codes: ["bad_multipart", "missing_field", "truncated_image"]) { target in
                let body = RawHTTP.multipart(
                    boundary: "cut", fields: [], files: [("imageData", "a.png", png)])
                return try RawHTTP.request(
                    target, "POST", path,
                    headers: ["Content-Type": "multipart/form-data; boundary=cut"],
                    body: Array(body.prefix(body.count - 40)))
            },
            Case(description: "text body", status: 415, codes: ["unsupported_media_type"]) {
                target in
                try RawHTTP.request(
                    target, "POST", path, headers: ["Content-Type": "text/plain"], body: png)
            },
            Case(description: "bad expected", status: 400, codes: ["bad_expected"]) { target in
                try RawHTTP.postForm(
                    target, path, fields: [("expected", "12; rm -rf /")],
                    files: [("imageData", "a.png", png)])
            },
            Case(description: "bad mode", status: 400, codes: ["bad_mode"]) { target in
                try RawHTTP.postForm(
                    target, path, fields: [("mode", "everything")],
                    files: [("imageData", "a.png", png)])
            },
            Case(description: "11 MiB refused from Content-Length", status: 413,
                 codes: ["too_large"]) { target in
                // Only the head and a little body are sent: the answer must not
                // wait for the rest.
                let fd = try RawHTTP.connect(target, timeout: 10)
                defer { close(fd) }
                let head = "POST \(path) HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: image/png\r\nContent-Length: \(11 << 20)\r\n\r\n"
                try RawHTTP.send(fd, Array(head.utf8) + png)
                return try RawHTTP.parse(try RawHTTP.readAll(fd))
            },
            Case(description: "11 MiB chunked", status: 413, codes: ["too_large"]) { target in
                try sendChunked(target, path, total: 11 << 20, prefix: png)
            },
            Case(description: "PUT", status: 405, codes: ["method_not_allowed"]) { target in
                try RawHTTP.request(target, "PUT", path, body: png)
            },
            Case(description: "id ../x", status: 404, codes: ["not_found"]) { target in
                try RawHTTP.request(target, "GET", "/api/image/../x")
            },
            Case(description: "id %2e%2e", status: 404, codes: ["not_found"]) { target in
                try RawHTTP.request(target, "GET", "/api/image/%2e%2e")
            },
            Case(description: "id %2e%2e%2fincoming", status: 404, codes: ["not_found"]) {
                target in
                try RawHTTP.request(target, "GET", "/api/image/%2e%2e%2fincoming%2fx.png")
            },
            Case(description: "id with a slash", status: 404, codes: ["not_found"]) { target in
                try RawHTTP.request(target, "GET", "/api/image/20261203T000000-aaaaaaaa.png/x")
            },
        ]
    }

    /// Streams `total` bytes as one chunked body starting with `prefix`.
    static func sendChunked(
        _ target: RawHTTP.Target, _ path: String, total: Int, prefix: [UInt8]
    ) throws -> RawResponse {
        let fd = try RawHTTP.connect(target, timeout: 20)
        defer { close(fd) }
        let head = "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        try RawHTTP.send(fd, Array(head.utf8))
        var sent = 0
        let filler = [UInt8](repeating: 0x41, count: 64 * 1024)
        while sent < total {
            let chunk = sent == 0 ? prefix : Array(filler.prefix(total - sent))
            let frame = Array(String(chunk.count, radix: 16).utf8) + [13, 10] + chunk + [13, 10]
            // The server may answer and close once the limit is passed.
            guard (try? RawHTTP.send(fd, frame)) != nil else { break }
            sent += chunk.count
        }
        _ = try? RawHTTP.send(fd, Array("0\r\n\r\n".utf8))
        return try RawHTTP.parse(try RawHTTP.readAll(fd))
    }

    @Test func eachBadRequestGetsItsStatusAndLeavesTheSpoolAsItWas() throws {
        let daemon = try UploadDaemon()
        try daemon.spool.drop(Images.clean(), as: "already-there.png")
        // Results planted where the path-like ids lead if they were joined to
        // done/ unchecked: none of them may be served.
        let root = daemon.spool.spool.root
        let bait = Data(#"{"id":"x","status":"done","text":"planted"}"#.utf8)
        for path in ["\(root)/x.json", "\(root)/incoming/x.png.json"] {
            try bait.write(to: URL(fileURLWithPath: path))
        }
        for item in try BadInputTests.cases() {
            let before = daemon.snapshot()
            let response = try item.send(daemon.target)
            #expect(!response.text.contains("planted"), "\(item): served \(response.text)")
            #expect(
                response.status == item.status,
                "\(item): got \(response.status) \(response.text), want \(item.status)")
            #expect(
                response.errorCode.map(item.codes.contains) == true,
                "\(item): got error \(response.text), want one of \(item.codes)")
            #expect(
                response.headers["content-type"] == "application/json",
                "\(item): got content type \(response.headers["content-type"] ?? "none")")
            let after = daemon.snapshot()
            #expect(after == before, "\(item): spool went from \(before) to \(after)")
        }
    }

    @Test func clientThatDisconnectsMidUploadLeavesNothingBehind() throws {
        let daemon = try UploadDaemon()
        let before = daemon.snapshot()
        let png = try Images.clean()

        let fd = try RawHTTP.connect(daemon.target, timeout: 10)
        let head = "POST /api/image/process HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: image/png\r\nContent-Length: \(1 << 20)\r\n\r\n"
        try RawHTTP.send(fd, Array(head.utf8) + png + [UInt8](repeating: 7, count: 200_000))
        #expect(waitUntil(timeout: 10) { !daemon.spool.entries(.tmp).isEmpty },
                "the upload was never staged in tmp/")
        close(fd)

        #expect(waitUntil(timeout: 10) { daemon.snapshot() == before },
                "got \(daemon.snapshot()) after the disconnect, want \(before)")
        #expect(waitUntil(timeout: 5) { daemon.process.log.contains("upload aborted") },
                "no 'upload aborted' line in:\n\(daemon.process.log)")
    }
}
