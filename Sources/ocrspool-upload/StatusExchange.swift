import HTTPKit
import SpoolKit

/// `GET /api/image/ID[?wait=SECONDS]`: a job's state, or its result once it has
/// one; with `wait`, parked until the result lands or the wait runs out.
final class StatusExchange: APIExchange {
    private var ticket: ResultWaiters.Ticket?

    init(service: UploadService, request: HTTPRequest) {
        super.init(service: service, request: request, route: "status")
    }

    override func handle(_ event: HTTPEvent) -> HTTPReply {
        switch event {
        case .start, .body:
            return .proceed
        case .end:
            return lookUp()
        case .resumed:
            return answer()
        }
    }

    /// The id is validated before any path is built from it.
    private var name: JobName? {
        let id = String(request.path.dropFirst("/api/image/".count))
        return JobName(id)
    }

    private func lookUp() -> HTTPReply {
        guard let name else { return respond(.notFound("job")) }
        guard let wait = waitSeconds() else {
            return respond(APIError(400, "bad_wait", "wait must be a number of seconds"))
        }
        let state = service.state(of: name)
        switch state {
        case .finished, .unknown:
            return respond(stateResponse(name, state, pendingStatus: 200))
        case .queued, .processing:
            guard wait > 0 else { return respond(stateResponse(name, state, pendingStatus: 200)) }
        }
        // Registered before looking again, so a result landing in between wakes us.
        ticket = service.waiters.add(name, request.waker, timeout: wait)
        if case .finished = service.state(of: name) { return answer() }
        return .suspend
    }

    private func answer() -> HTTPReply {
        if let ticket { service.waiters.remove(ticket) }
        ticket = nil
        guard let name else { return respond(.notFound("job")) }
        return respond(stateResponse(name, service.state(of: name), pendingStatus: 200))
    }

    override func finish(aborted: Bool) {
        if let ticket { service.waiters.remove(ticket) }
    }
}
