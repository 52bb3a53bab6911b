import Foundation

/// A response read by `RawHTTP`.
public struct RawResponse: Sendable {
    public var status: Int
    /// Header values by lower-cased name.
    public var headers: [String: String]
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object, or an empty one.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }

    /// `error.code` of a JSON error body.
    public var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// A deliberately small HTTP/1.1 client over a blocking socket, so tests can send
/// exactly the bytes they mean: malformed bodies, raw paths, half uploads.
public enum RawHTTP {
    /// Where to connect.
    public enum Target: Sendable {
        case tcp(UInt16)
        case unix(String)
    }

    /// Sends `head` (request line and headers, without the blank line; a
    /// `Connection: close` is added) and `body`, then reads the response to EOF.
    public static func exchange(
        _ target: Target, head: String, body: [UInt8] = [], timeout: Double = 30
    ) throws -> RawResponse {
        let fd = try connect(target, timeout: timeout)
        defer { close(fd) }
        try send(fd, Array((head + "\r\nConnection: close\r\n\r\n").utf8) + body)
        return try parse(try readAll(fd))
    }

    /// A request with the common headers filled in.
    public static func request(
        _ target: Target, _ method: String, _ path: String, headers: [String: String] = [:],
        body: [UInt8]? = nil, timeout: Double = 30
    ) throws -> RawResponse {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            head += "\r\n\(name): \(value)"
        }
        if let body { head += "\r\nContent-Length: \(body.count)" }
        return try exchange(target, head: head, body: body ?? [], timeout: timeout)
    }

    /// Posts a `multipart/form-data` form; files are `(field, filename, bytes)`.
    public static func postForm(
        _ target: Target, _ path: String, fields: [(String, String)] = [],
        files: [(String, String, [UInt8])], headers: [String: String] = [:],
        timeout: Double = 30
    ) throws -> RawResponse {
        let boundary = "----ocrspool\(UUID().uuidString.prefix(8))"
        let body = multipart(boundary: boundary, fields: fields, files: files)
        var all = headers
        all["Content-Type"] = "multipart/form-data; boundary=\(boundary)"
        return try request(target, "POST", path, headers: all, body: body, timeout: timeout)
    }

    /// The bytes of a multipart form.
    public static func multipart(
        boundary: String, fields: [(String, String)], files: [(String, String, [UInt8])]
    ) -> [UInt8] {
        var body: [UInt8] = []
        for (name, value) in fields {
            body += Array("--\(boundary)\r\n".utf8)
            body += Array("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8)
            body += Array("\(value)\r\n".utf8)
        }
        for (name, filename, bytes) in files {
            body += Array("--\(boundary)\r\nContent-Disposition: form-data; ".utf8)
            body += Array("name=\"\(name)\"; filename=\"\(filename)\"\r\n".utf8)
            body += Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
            body += bytes + Array("\r\n".utf8)
        }
        body += Array("--\(boundary)--\r\n".utf8)
        return body
    }

    /// An open connection, for tests that stop half-way.
    public static func connect(_ target: Target, timeout: Double = 30) throws -> Int32 {
        switch target {
        case .tcp(let port):
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            setTimeout(fd, timeout)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = port.bigEndian
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard result == 0 else {
                let code = errno
                close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
            }
            return fd
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EMFILE) }
            setTimeout(fd, timeout)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() where index < raw.count - 1 {
                    raw[index] = byte
                }
            }
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard result == 0 else {
                let code = errno
                close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .ECONNREFUSED)
            }
            return fd
        }
    }

    /// Writes all of `bytes`.
    public static func send(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                Foundation.send(
                    fd, raw.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPIPE) }
            offset += written
        }
    }

    /// Reads until the peer closes.
    public static func readAll(_ fd: Int32) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if count == 0 { return data }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == ECONNRESET, !data.isEmpty { return data }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            data += buffer[0..<count]
        }
    }

    /// Parses a whole response, de-chunking a chunked body.
    public static func parse(_ data: [UInt8]) throws -> RawResponse {
        let separator = Array("\r\n\r\n".utf8)
        guard let split = (0..<max(0, data.count - 3)).first(where: {
            Array(data[$0..<$0 + 4]) == separator
        }) else { throw POSIXError(.EBADMSG) }
        let head = String(decoding: data[0..<split], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw POSIXError(.EBADMSG)
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(split + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return RawResponse(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < data.count {
            guard let lineEnd = (index..<data.count - 1).first(where: {
                data[$0] == 13 && data[$0 + 1] == 10
            }) else { break }
            let sizeText = String(decoding: data[index..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16), size > 0 else {
                break
            }
            let start = lineEnd + 2
            output += data[start..<min(data.count, start + size)]
            index = start + size + 2
        }
        return output
    }

    private static func setTimeout(_ fd: Int32, _ seconds: Double) {
        let micros = Int((seconds - Double(Int(seconds))) * 1e6)
        var time = timeval(tv_sec: Int(seconds), tv_usec: .init(micros))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }
}
