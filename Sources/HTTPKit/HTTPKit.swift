import CMicroHTTPD

/// HTTPKit: a thin Swift layer over libmicrohttpd, the only code that calls it.
///
/// Contract: `HTTPServer` owns one MHD daemon running its own epoll threads. For
/// each request it asks an `HTTPHandler` for an `HTTPExchange` and feeds it
/// events in order: `.start` once the headers are in, `.body` for each chunk of
/// the body as it arrives (never buffered whole), `.end`, and `.resumed` after a
/// suspension ended. The exchange answers with an `HTTPReply`. Exactly one
/// `closed(aborted:)` follows every exchange, on completion or on a dropped
/// connection, so an exchange can always clean up what it started.
///
/// An exchange that replies `.respond` before the body is read makes the server
/// discard the rest of the body (up to `Settings.discardLimit`, then the
/// connection is closed) and send the response at its end.
///
/// Errors: starting throws `SystemError` (socket, bind, listen, or the daemon
/// refusing its options). A client that drops its connection is normal, not an
/// error: its exchange hears `closed(aborted: true)`. Nothing here logs.
///
/// Known limits:
/// - No TLS: the server sits behind nginx or on a Unix socket.
/// - libmicrohttpd's idle timeout restarts on every byte; a body is cut off at
///   `Settings.bodyTimeout`, but a head trickled a byte at a time is bounded
///   only by the connection memory and the connection limit.
/// - The connection limit is shared out between the pool's threads, so with
///   several threads it is approximate; clients beyond it wait in the backlog.
public enum HTTPKit {
    /// The library version libmicrohttpd reports, such as `0.9.75`.
    public static var libraryVersion: String { String(cString: MHD_get_version()) }
}
