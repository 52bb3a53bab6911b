#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation
import HTTPKit
import SpoolKit
import Synchronization

/// The upload daemon's request handler: routes each request to its exchange and
/// holds what exchanges share (the spool, limits, metrics, parked requests).
final class UploadService: HTTPHandler, @unchecked Sendable {
    let config: UploadConfig
    let spool: Spool
    let logger: Logger
    let metrics = Metrics()
    let waiters = ResultWaiters()
    /// Where uploads are fsynced and committed: off the server's threads, so a
    /// slow disk holds up only the requests waiting for it.
    let commits = DispatchQueue(label: "ocrspool.upload.commit", attributes: .concurrent)
    let site: StaticSite
    let recorded: RecordedResults
    private let incomingDepth = Mutex<(count: Int, at: ContinuousClock.Instant?)>((0, nil))
    /// The server, once started; read for its connection count.
    weak var server: HTTPServer?

    init(config: UploadConfig, logger: Logger) {
        self.config = config
        self.spool = config.spool
        self.logger = logger
        self.site = StaticSite(directory: config.www, logger: logger)
        self.recorded = RecordedResults(path: config.databasePath, logger: logger)
    }

    /// Where the job stands: the spool's view, else its recorded result once
    /// retention has pruned it from the spool.
    func state(of name: JobName) -> JobState {
        let state = spool.state(of: name)
        if case .unknown = state, let result = recorded.result(of: name) {
            return .finished(result)
        }
        return state
    }

    /// Starts watching the spool for results.
    func start() throws {
        var settings = SpoolWatcher.Settings()
        settings.polling = config.polling
        settings.pollInterval = 0.25
        try waiters.start(spool: spool, settings: settings, logger: logger)
    }

    func stop() {
        waiters.stop()
    }

    func exchange(for request: HTTPRequest) -> any HTTPExchange {
        let path = request.path
        let method = request.method
        if path == "/api/image/process" {
            if method == "POST" { return UploadExchange(service: self, request: request) }
            return answer(request, route: "upload", allowed: "POST") { nil }
        }
        if path.hasPrefix("/api/image/") {
            if method == "GET" || method == "HEAD" {
                return StatusExchange(service: self, request: request)
            }
            return answer(request, route: "status", allowed: "GET") { nil }
        }
        if path.hasPrefix("/api/") {
            return answer(request, route: "other", allowed: "GET") {
                APIError.notFound(path).response
            }
        }
        switch path {
        case "/healthz":
            return answer(request, route: "health", allowed: "GET") {
                HTTPResponse.json(status: 200, ["status": "ok"])
            }
        case "/readyz":
            return answer(request, route: "health", allowed: "GET") { self.readiness() }
        case "/metrics":
            return answer(request, route: "metrics", allowed: "GET") { self.metricsPage() }
        default:
            return answer(request, route: "page", allowed: "GET") {
                self.site.response(for: path) ?? APIError.notFound(path).response
            }
        }
    }

    /// An exchange answering at once: `respond` for the allowed method (and HEAD
    /// for GET), 405 for others, the CORS preflight for OPTIONS.
    private func answer(
        _ request: HTTPRequest, route: String, allowed: String,
        _ respond: @escaping @Sendable () -> HTTPResponse?
    ) -> any HTTPExchange {
        FixedExchange(service: self, request: request, route: route) {
            if request.method == "OPTIONS" { return self.preflight(request, allowed: allowed) }
            let permitted = request.method == allowed
                || (allowed == "GET" && request.method == "HEAD")
            guard permitted, let response = respond() else {
                var error = APIError.methodNotAllowed(request.method, allowed: allowed).response
                error.add("Allow", allowed == "GET" ? "GET, HEAD" : allowed)
                return error
            }
            return response
        }
    }

    /// The answer to a CORS preflight: allowed only for origins given by flag.
    private func preflight(_ request: HTTPRequest, allowed: String) -> HTTPResponse {
        guard let origin = request.header("origin"), config.allowedOrigins.contains(origin) else {
            return APIError(403, "origin_not_allowed", "cross-origin requests are not allowed")
                .response
        }
        var response = HTTPResponse(status: 204)
        response.add("Access-Control-Allow-Methods", "\(allowed), OPTIONS")
        response.add("Access-Control-Allow-Headers", "Content-Type")
        response.add("Access-Control-Max-Age", "600")
        return response
    }

    /// Headers every response gets: CORS for allowed origins (never `*`), no sniffing.
    func commonHeaders(for request: HTTPRequest) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = [("X-Content-Type-Options", "nosniff")]
        if let origin = request.header("origin"), config.allowedOrigins.contains(origin) {
            headers.append(("Access-Control-Allow-Origin", origin))
            headers.append(("Vary", "Origin"))
        }
        return headers
    }

    /// `/readyz`: the spool is there and writable, and the disk is not full.
    private func readiness() -> HTTPResponse {
        var problems: [String] = []
        if !spool.isInitialised { problems.append("spool \(spool.root) is not initialised") }
        for queue in [Queue.tmp, .incoming, .meta]
        where access(spool.directory(queue), W_OK) != 0 {
            problems.append("\(spool.directory(queue)) is not writable")
        }
        if let free = try? DiskSpace.available(at: spool.root), free < config.minFree {
            problems.append("only \(free) bytes free, under --min-free \(config.minFree)")
        }
        guard problems.isEmpty else {
            return APIError(503, "not_ready", problems.joined(separator: "; ")).response
        }
        return HTTPResponse.json(status: 200, ["status": "ready"])
    }

    private func metricsPage() -> HTTPResponse {
        let depths = (try? spool.depths()) ?? [:]
        let text = metrics.render(
            depths: depths, connections: server?.connectionCount ?? 0, waiting: waiters.count)
        return HTTPResponse(
            status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", text: text)
    }

    /// Jobs in `incoming/`, counted at most every quarter second.
    // XXX: a burst arriving within one 250 ms window can overshoot --max-queue by
    // what arrives in it; counting on every upload would list incoming/ each time.
    func queueDepth() -> Int {
        let now = ContinuousClock.now
        return incomingDepth.withLock { cached in
            if let at = cached.at, now - at < .milliseconds(250) { return cached.count }
            cached = ((try? spool.jobs(in: .incoming).count) ?? 0, now)
            return cached.count
        }
    }

    /// The one-line status for systemd.
    func status() -> String {
        "serving on \(config.listen): \(server?.connectionCount ?? 0) connections, "
            + "\(waiters.count) waiting, \(queueDepth()) queued"
    }
}
