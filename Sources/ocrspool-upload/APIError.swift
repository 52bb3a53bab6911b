import Foundation
import HTTPKit

/// An error answered as JSON `{"error":{"code":…,"message":…}}` with its status.
struct APIError: Error, Sendable {
    var status: Int
    /// Machine-readable; also the `reason` label of refused uploads in `/metrics`.
    var code: String
    /// For a person.
    var message: String
    /// Seconds for a `Retry-After` header.
    var retryAfter: Int?

    init(_ status: Int, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    var response: HTTPResponse {
        let body: [String: [String: String]] = ["error": ["code": code, "message": message]]
        var response = HTTPResponse.json(status: status, body)
        if let retryAfter { response.add("Retry-After", String(retryAfter)) }
        return response
    }

    static func notFound(_ what: String) -> APIError {
        APIError(404, "not_found", "\(what) was not found")
    }

    static func methodNotAllowed(_ method: String, allowed: String) -> APIError {
        APIError(405, "method_not_allowed", "\(method) is not allowed here; use \(allowed)")
    }
}

extension HTTPResponse {
    /// A JSON response from any encodable value, keys sorted.
    static func json<Value: Encodable>(status: Int, _ value: Value) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)).map(Array.init) ?? Array("{}".utf8)
        return HTTPResponse(
            status: status, headers: [("Content-Type", "application/json")], body: body + [0x0A])
    }
}
