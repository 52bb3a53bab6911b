#if canImport(Glibc)
import Glibc
#endif

/// The few process-table calls the daemon makes outside `HookProcess`.
enum Processes {
    /// This process's id; wraps `getpid(2)`.
    static var current: Int32 { getpid() }

    /// True when a process with `pid` exists (`kill(pid, 0)`; `EPERM` means it
    /// exists under another user).
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Writing to a pipe whose reader left must fail with `EPIPE`, not kill the
    /// daemon: a hook may exit without reading, a webhook peer may hang up.
    static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
