#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// Turns SIGTERM and SIGINT into calls on a queue instead of process death.
///
/// The first signal asks for a graceful stop; a second one calls `onForce`
/// (by default `_exit(1)`), so an operator can always get the process out.
/// The sources are set up once in `init` and only cancelled in `deinit`.
public final class SignalWatcher: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private final class Counter: Sendable { let value = Atomic<Int>(0) }

    /// Starts watching SIGTERM and SIGINT.
    ///
    /// - Parameters:
    ///   - onStop: called once, for the first signal, with its number.
    ///   - onForce: called for every later signal.
    public init(
        onStop: @escaping @Sendable (Int32) -> Void,
        onForce: @escaping @Sendable (Int32) -> Void = { _ in _exit(1) }
    ) {
        let queue = DispatchQueue(label: "ocrspool.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            sources.append(DispatchSource.makeSignalSource(signal: number, queue: queue))
        }
        self.sources = sources
        let counter = Counter()
        for (source, number) in zip(sources, [SIGTERM, SIGINT]) {
            source.setEventHandler {
                if counter.value.add(1, ordering: .relaxed).oldValue == 0 {
                    onStop(number)
                } else {
                    onForce(number)
                }
            }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
