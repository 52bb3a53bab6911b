import CMicroHTTPD

/// The server's side of one request: its exchange and where it stands.
///
/// libmicrohttpd keeps it in the connection's `con_cls` slot (retained) from the
/// first call of the access handler until the completion callback releases it.
/// All calls for one request come from one server thread at a time.
final class RequestContext {
    private enum Phase { case reading, ended, responded }

    let request: HTTPRequest
    let exchange: any HTTPExchange
    private let discardLimit: Int
    private let bodyDeadline: ContinuousClock.Instant
    private var phase = Phase.reading
    private var pending: HTTPResponse?
    private var discarded = 0

    init(
        request: HTTPRequest, exchange: any HTTPExchange, discardLimit: Int,
        bodyTimeout: Duration
    ) {
        self.request = request
        self.exchange = exchange
        self.discardLimit = discardLimit
        self.bodyDeadline = .now + bodyTimeout
    }

    /// The head is in.
    func start() -> MHD_Result {
        apply(exchange.handle(.start))
    }

    /// A chunk of body; dropped once a response is decided. A body still
    /// arriving at its deadline closes the connection: the idle timeout alone
    /// would let a client trickling a byte at a time hold it for ever.
    func body(_ bytes: UnsafeRawBufferPointer) -> MHD_Result {
        guard ContinuousClock.now < bodyDeadline else { return .NO }
        guard phase == .reading, pending == nil else {
            discarded += bytes.count
            return discarded > discardLimit ? .NO : .YES
        }
        return apply(exchange.handle(.body(bytes)))
    }

    /// A call without body bytes after the first: the body ended, or a resume.
    func idle() -> MHD_Result {
        switch phase {
        case .responded:
            return .YES
        case .reading:
            phase = .ended
            if let pending { return queue(pending) }
            return apply(exchange.handle(.end))
        case .ended:
            return apply(exchange.handle(.resumed))
        }
    }

    private func apply(_ first: HTTPReply) -> MHD_Result {
        var reply = first
        while true {
            switch reply {
            case .proceed:
                precondition(phase == .reading, "exchange asked for more body after its end")
                return .YES
            case .respond(let response):
                return queue(response)
            case .suspend:
                precondition(phase == .ended, "exchange suspended before the body ended")
                if request.waker.suspend(request.connection) { return .YES }
                reply = exchange.handle(.resumed)
            }
        }
    }

    /// Hands `response` to libmicrohttpd, or keeps it for the end of the body
    /// when the library will not take a response in the middle of one.
    private func queue(_ response: HTTPResponse) -> MHD_Result {
        let made = response.body.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(
                raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                .RESPMEM_MUST_COPY)
        }
        guard let made else { return .NO }
        defer { MHD_destroy_response(made) }
        for (name, value) in response.headers {
            _ = MHD_add_response_header(made, name, value)
        }
        if MHD_queue_response(request.connection.pointer, UInt32(response.status), made)
            == .YES
        {
            phase = .responded
            pending = nil
            return .YES
        }
        if phase == .reading {
            pending = response
            return .YES
        }
        return .NO
    }
}

/// libmicrohttpd's access handler: finds or makes the request's context and
/// passes it the call.
let accessTrampoline: MHD_AccessHandlerCallback = {
    cls, connection, url, method, _, data, size, slot in
    let server = Unmanaged<HTTPServer>.fromOpaque(cls!).takeUnretainedValue()
    guard let connection, let size, let slot else { return .NO }

    if let raw = slot.pointee {
        let context = Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()
        guard size.pointee > 0 else { return context.idle() }
        let bytes = UnsafeRawBufferPointer(start: data, count: size.pointee)
        size.pointee = 0
        return context.body(bytes)
    }

    let request = HTTPRequest(
        connection: ConnectionHandle(pointer: connection),
        method: method.map { String(cString: $0) } ?? "",
        path: url.map { String(cString: $0) } ?? "/",
        waker: HTTPWaker())
    let context = RequestContext(
        request: request, exchange: server.handler.exchange(for: request),
        discardLimit: server.settings.discardLimit,
        bodyTimeout: .seconds(server.settings.bodyTimeout))
    slot.pointee = Unmanaged.passRetained(context).toOpaque()
    server.register(context)
    return context.start()
}

/// libmicrohttpd's completion callback: tells the exchange and frees the context.
let completedTrampoline: MHD_RequestCompletedCallback = { cls, _, slot, code in
    guard let slot, let raw = slot.pointee else { return }
    slot.pointee = nil
    let server = Unmanaged<HTTPServer>.fromOpaque(cls!).takeUnretainedValue()
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    context.request.waker.close()
    server.unregister(context)
    context.exchange.closed(aborted: code != .REQUEST_TERMINATED_COMPLETED_OK)
}
