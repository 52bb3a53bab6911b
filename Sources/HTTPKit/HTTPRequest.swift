import CMicroHTTPD
import Foundation

/// An opaque reference to libmicrohttpd's connection, valid while its request lives.
struct ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// One request's head: method, path, headers and query, as libmicrohttpd parsed them.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, … as sent.
    public let method: String
    /// The path without the query, percent-decoded by libmicrohttpd.
    public let path: String
    /// Header values by lower-cased name; a repeated header keeps its last value.
    public let headers: [String: String]
    /// Query arguments by name; an argument without `=` maps to an empty string.
    public let query: [String: String]
    /// Resumes this request after its exchange replied `.suspend`.
    public let waker: HTTPWaker
    /// When the request's head arrived, on the monotonic clock.
    public let receivedAt: ContinuousClock.Instant
    let connection: ConnectionHandle

    init(
        connection: ConnectionHandle, method: String, path: String, waker: HTTPWaker
    ) {
        self.connection = connection
        self.method = method
        self.path = path
        self.waker = waker
        self.receivedAt = ContinuousClock.now
        self.headers = HTTPRequest.values(connection, kind: .HEADER_KIND, lowercased: true)
        self.query = HTTPRequest.values(connection, kind: .GET_ARGUMENT_KIND, lowercased: false)
    }

    /// The value of header `name` (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The declared body length, or nil when absent (chunked) or not a number.
    public var contentLength: Int? {
        header("content-length").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// The media type of the body, lower-cased, without parameters.
    public var mediaType: String? {
        guard let value = header("content-type") else { return nil }
        let type = value.split(separator: ";", maxSplits: 1).first ?? ""
        return type.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Collects one kind of value through `MHD_get_connection_values`.
    private static func values(
        _ connection: ConnectionHandle, kind: MHD_ValueKind, lowercased: Bool
    ) -> [String: String] {
        final class Box { var values: [String: String] = [:]; var lowercased = false }
        let box = Box()
        box.lowercased = lowercased
        let iterator: MHD_KeyValueIterator = { cls, _, key, value in
            let box = Unmanaged<Box>.fromOpaque(cls!).takeUnretainedValue()
            guard let key else { return .YES }
            let name = String(cString: key)
            box.values[box.lowercased ? name.lowercased() : name] =
                value.map { String(cString: $0) } ?? ""
            return .YES
        }
        withExtendedLifetime(box) {
            _ = MHD_get_connection_values(
                connection.pointer, kind, iterator, Unmanaged.passUnretained(box).toOpaque())
        }
        return box.values
    }
}
