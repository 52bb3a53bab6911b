import Foundation

/// A complete response: status, headers and a body held in memory.
///
/// Bodies here are small (JSON, the upload page's files); uploads flow the other way.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names and values in the order they are sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with `body` as UTF-8 and its content type.
    public init(status: Int, contentType: String, text: String) {
        self.init(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }

    /// Adds a header, keeping any earlier one of the same name.
    public mutating func add(_ name: String, _ value: String) {
        headers.append((name, value))
    }

    /// The value of the first header called `name` (any case).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}
