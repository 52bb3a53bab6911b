/// What happened to a request, in the order an exchange sees it.
public enum HTTPEvent {
    /// The head is in; no body byte has been read yet.
    case start
    /// The next chunk of the body. The bytes are valid only during the call.
    case body(UnsafeRawBufferPointer)
    /// The whole body has been read.
    case end
    /// A suspended exchange was woken (`HTTPWaker.wake`) or the server is stopping.
    case resumed
}

/// What the exchange wants done next.
public enum HTTPReply: Sendable {
    /// Keep reading the request (only before `.end`).
    case proceed
    /// Send this response; any unread body is discarded.
    case respond(HTTPResponse)
    /// Park the request without a thread until `request.waker.wake()` (only after `.end`).
    case suspend
}

/// The handling of one request, fed its events on one server thread at a time.
public protocol HTTPExchange: AnyObject {
    /// Handles the next event of the request.
    func handle(_ event: HTTPEvent) -> HTTPReply
    /// Called once when the request is over: `aborted` when the client went away or
    /// the server gave up before the response was sent in full.
    func closed(aborted: Bool)
}

/// Makes the exchange for each request; called on the server's threads.
public protocol HTTPHandler: AnyObject, Sendable {
    func exchange(for request: HTTPRequest) -> any HTTPExchange
}
