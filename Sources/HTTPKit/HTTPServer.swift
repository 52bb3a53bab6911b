#if canImport(Glibc)
import Glibc
#endif
import CMicroHTTPD
import DaemonKit
import Foundation
import Synchronization

/// An HTTP/1.1 server: owns one libmicrohttpd daemon and stops it in `deinit`.
///
/// The daemon runs a pool of epoll threads (`MHD_USE_EPOLL_INTERNAL_THREAD` with
/// `.THREAD_POOL_SIZE`); suspended requests hold no thread
/// (`MHD_ALLOW_SUSPEND_RESUME`), so long polls cost a socket and a little memory.
public final class HTTPServer: @unchecked Sendable {
    /// Limits that keep slow, idle or numerous clients from exhausting the server.
    public struct Settings: Sendable {
        /// Threads serving connections.
        public var threads = 4
        /// Connections held at once; more are refused at accept (`.CONNECTION_LIMIT`).
        public var connectionLimit = 1024
        /// Connections per client address, 0 for no limit (behind nginx all share one).
        public var perAddressLimit = 0
        /// Seconds a connection may stay silent before it is closed.
        public var idleTimeout = 30
        /// Seconds from the head to the end of a request's body; a body still
        /// arriving then is cut off with its connection.
        public var bodyTimeout = 120
        /// Bytes of buffer per connection (`.CONNECTION_MEMORY_LIMIT`).
        public var connectionMemory = 64 * 1024
        /// Body bytes read and dropped after an early response before the
        /// connection is closed instead.
        public var discardLimit = 16 << 20

        public init() {}
    }

    /// Where the server listens, as given.
    public let address: ListenAddress
    /// The TCP port bound, when listening on TCP.
    public let port: UInt16?
    let settings: Settings
    let handler: any HTTPHandler
    private var daemon: OpaquePointer?
    private let live = Mutex<[ObjectIdentifier: HTTPWaker]>([:])

    /// Starts serving on `listener`, which the server now owns.
    ///
    /// Wraps `MHD_start_daemon` (through the shim `ocrspool_mhd_start`).
    public init(listener: ListenSocket, settings: Settings, handler: any HTTPHandler) throws {
        self.address = listener.address
        self.port = listener.port
        self.settings = settings
        self.handler = handler

        var options: [MHD_OptionItem] = [
            item(.LISTEN_SOCKET, Int(listener.fd)),
            item(.THREAD_POOL_SIZE, max(1, settings.threads)),
            item(.CONNECTION_LIMIT, max(1, settings.connectionLimit)),
            item(.PER_IP_CONNECTION_LIMIT, max(0, settings.perAddressLimit)),
            item(.CONNECTION_TIMEOUT, max(1, settings.idleTimeout)),
            item(.CONNECTION_MEMORY_LIMIT, max(8192, settings.connectionMemory)),
            item(.END, 0),
        ]
        let flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        let me = Unmanaged.passUnretained(self).toOpaque()
        let started = options.withUnsafeMutableBufferPointer { buffer in
            ocrspool_mhd_start(
                flags, accessTrampoline, me, completedTrampoline, me, buffer.baseAddress)
        }
        guard let started else {
            throw SystemError("start http server", paths: [address.description], errno: errno)
        }
        daemon = started
        listener.handOver()
    }

    deinit {
        stop(grace: 0)
    }

    /// Requests being served or parked right now.
    public var requestsInFlight: Int { live.withLock { $0.count } }

    /// Connections open right now, idle keep-alive ones included.
    public var connectionCount: Int {
        guard let daemon else { return 0 }
        return Int(ocrspool_mhd_connection_count(daemon))
    }

    /// Stops accepting, wakes every parked request so it answers, waits up to
    /// `grace` seconds for requests in flight, then stops the daemon.
    ///
    /// Wraps `MHD_quiesce_daemon` and `MHD_stop_daemon`.
    public func stop(grace: Double) {
        guard let daemon else { return }
        let listening = MHD_quiesce_daemon(daemon)
        if listening >= 0 { _ = Glibc.close(listening) }

        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        repeat {
            for waker in live.withLock({ Array($0.values) }) { waker.wake() }
            if requestsInFlight == 0 { break }
            usleep(10_000)
        } while ContinuousClock.now < deadline

        MHD_stop_daemon(daemon)
        self.daemon = nil
    }

    func register(_ context: RequestContext) {
        live.withLock { $0[ObjectIdentifier(context)] = context.request.waker }
    }

    func unregister(_ context: RequestContext) {
        _ = live.withLock { $0.removeValue(forKey: ObjectIdentifier(context)) }
    }
}

/// One `MHD_OptionItem` with an integer value.
private func item(_ option: MHD_OPTION, _ value: Int) -> MHD_OptionItem {
    MHD_OptionItem(option: option, value: value, ptr_value: nil)
}
