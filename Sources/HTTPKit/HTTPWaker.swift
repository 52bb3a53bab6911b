import CMicroHTTPD
import Synchronization

/// Wakes a suspended request; safe to call from any thread, any number of times.
///
/// A wake that comes before the server has actually suspended the request (the
/// result landed while the exchange was deciding to wait) is remembered, so the
/// request is resumed at once instead of sleeping through it. A wake after the
/// request is over does nothing.
public final class HTTPWaker: @unchecked Sendable {
    private struct State {
        var connection: OpaquePointer?
        var suspended = false
        var pending = false
        var closed = false
    }

    private let state = Mutex(State())

    init() {}

    /// Resumes the request (`MHD_resume_connection`), or remembers the wake.
    public func wake() {
        state.withLock { state in
            guard !state.closed else { return }
            if state.suspended, let connection = state.connection {
                state.suspended = false
                MHD_resume_connection(connection)
            } else {
                state.pending = true
            }
        }
    }

    /// Suspends the connection unless a wake is pending; returns whether it did.
    func suspend(_ connection: ConnectionHandle) -> Bool {
        state.withLock { state in
            if state.pending {
                state.pending = false
                return false
            }
            state.connection = connection.pointer
            state.suspended = true
            MHD_suspend_connection(connection.pointer)
            return true
        }
    }

    /// The request is over: later wakes must not touch its connection.
    func close() {
        state.withLock { state in
            state.closed = true
            state.connection = nil
        }
    }
}
