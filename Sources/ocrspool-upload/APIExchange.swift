import Foundation
import HTTPKit
import SpoolKit

/// What every exchange of the daemon shares: recording the status it answered,
/// adding common headers, and timing the request for `/metrics`.
class APIExchange: HTTPExchange {
    let service: UploadService
    let request: HTTPRequest
    let route: String
    /// The status answered, 0 until a response is made.
    private(set) var status = 0

    init(service: UploadService, request: HTTPRequest, route: String) {
        self.service = service
        self.request = request
        self.route = route
    }

    func handle(_ event: HTTPEvent) -> HTTPReply {
        preconditionFailure("subclasses handle events")
    }

    /// Sends `response` with the common headers.
    func respond(_ response: HTTPResponse) -> HTTPReply {
        var response = response
        response.headers.append(contentsOf: service.commonHeaders(for: request))
        status = response.status
        return .respond(response)
    }

    func respond(_ error: APIError) -> HTTPReply {
        respond(error.response)
    }

    /// The response carrying a job's state: its result once finished.
    func stateResponse(_ name: JobName, _ state: JobState, pendingStatus: Int) -> HTTPResponse {
        switch state {
        case .finished(let result):
            let body = (try? SpoolJSON.encoder().encode(result)).map(Array.init) ?? []
            return HTTPResponse(
                status: 200, headers: [("Content-Type", "application/json")], body: body + [0x0A])
        case .unknown:
            return APIError.notFound("job \(name)").response
        case .queued, .processing:
            var response = HTTPResponse.json(
                status: pendingStatus,
                ["id": name.string, "status": state.label, "location": location(name)])
            response.add("Location", location(name))
            return response
        }
    }

    func location(_ name: JobName) -> String { "/api/image/\(name.string)" }

    /// The `?wait=` seconds, capped at `--max-wait`; nil when malformed.
    func waitSeconds() -> Double? {
        guard let text = request.query["wait"] else { return 0 }
        guard let seconds = Double(text), seconds >= 0, seconds.isFinite else { return nil }
        return min(seconds, service.config.maxWait)
    }

    func closed(aborted: Bool) {
        let elapsed = (ContinuousClock.now - request.receivedAt).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        service.metrics.finished(route: route, status: aborted ? 0 : status, seconds: seconds)
        finish(aborted: aborted)
    }

    /// Subclasses release what they hold.
    func finish(aborted: Bool) {}
}

/// An exchange whose response is known from the head alone.
final class FixedExchange: APIExchange {
    private let make: () -> HTTPResponse

    init(
        service: UploadService, request: HTTPRequest, route: String,
        make: @escaping () -> HTTPResponse
    ) {
        self.make = make
        super.init(service: service, request: request, route: route)
    }

    /// Answers at the end of the request, or at its first body byte: a body is
    /// not wanted here, and answering early lets the connection be kept alive.
    override func handle(_ event: HTTPEvent) -> HTTPReply {
        switch event {
        case .start: .proceed
        case .body, .end, .resumed: respond(make())
        }
    }
}
