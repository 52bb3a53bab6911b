#if canImport(Glibc)
import Glibc
#endif
import CDaemonSys
import Foundation
import Synchronization

/// Turns SIGTERM and SIGINT into calls on a thread of its own instead of
/// process death.
///
/// The first signal asks for a graceful stop; a second one calls `onForce`
/// (by default `_exit(1)`), so an operator can always get the process out.
///
/// A C handler (`ocrspool_signal_to_pipe_install`) writes each signal as a byte
/// to a pipe that the watcher's thread reads. A handler runs on whichever
/// thread the kernel picks, so no signal is lost to a thread that happens not
/// to block it (a dispatch signal source on Linux reads a signalfd, and with
/// the signal ignored rather than blocked everywhere, a delivery to another
/// thread was seen to drop SIGTERM under load). Handlers, unlike an ignored
/// disposition, are reset by `exec`, so child processes get the defaults. The
/// two signals are unblocked in the thread that creates the watcher.
///
/// One watcher per process, for the life of the process: it is never torn
/// down, so a signal during a daemon's wind-down still forces the exit.
public final class SignalWatcher: Sendable {
    private let onStop: @Sendable (Int32) -> Void
    private let onForce: @Sendable (Int32) -> Void
    private let received = Atomic<Int>(0)
    private let readEnd: Int32

    /// Starts watching SIGTERM and SIGINT.
    ///
    /// - Parameters:
    ///   - onStop: called once, for the first signal, with its number.
    ///   - onForce: called for every later signal.
    public init(
        onStop: @escaping @Sendable (Int32) -> Void,
        onForce: @escaping @Sendable (Int32) -> Void = { _ in _exit(1) }
    ) {
        self.onStop = onStop
        self.onForce = onForce
        var ends: [Int32] = [-1, -1]
        // Failing here is a broken process (no descriptors left at start-up).
        precondition(pipe(&ends) == 0, "pipe for signals: errno \(errno)")
        for end in ends {
            precondition(fcntl(end, F_SETFD, FD_CLOEXEC) == 0, "fcntl: errno \(errno)")
        }
        precondition(fcntl(ends[1], F_SETFL, O_NONBLOCK) == 0, "fcntl: errno \(errno)")
        readEnd = ends[0]
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        for number in [SIGTERM, SIGINT] {
            precondition(
                ocrspool_signal_to_pipe_install(ends[1], number) == 0,
                "sigaction \(number): errno \(errno)")
            sigaddset(&stopSignals, number)
        }
        // A parent may have left them blocked (test runners do): a blocked signal
        // never reaches the handler. This thread, and the ones it starts, take them.
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        let thread = Thread { [self] in readSignals() }
        thread.name = "ocrspool.signals"
        thread.start()
    }

    private func readSignals() {
        var byte: UInt8 = 0
        while true {
            let count = read(readEnd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            let number = Int32(byte)
            if received.add(1, ordering: .relaxed).oldValue == 0 {
                onStop(number)
            } else {
                onForce(number)
            }
        }
    }
}
