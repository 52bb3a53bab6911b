#if canImport(Glibc)
import Glibc
#endif

/// A point in monotonic time by which one read must finish.
struct Deadline {
    /// When the read started, in monotonic nanoseconds.
    let start: UInt64
    /// The budget, in milliseconds.
    let budget: Int

    /// A deadline `milliseconds` from now.
    init(milliseconds: Int) {
        start = Deadline.now()
        budget = milliseconds
    }

    /// Milliseconds since the start.
    var elapsedMilliseconds: Double {
        Double(Deadline.now() - start) / 1_000_000
    }

    /// Milliseconds left, zero or less once the deadline has passed.
    var remainingMilliseconds: Int {
        budget - Int(elapsedMilliseconds.rounded(.up))
    }

    /// The error for a read that ran out of time.
    func expired() -> OCRError {
        OCRError(
            .timeout,
            "recognition ran past its deadline of \(budget) ms "
                + "(elapsed \(Int(elapsedMilliseconds)) ms)")
    }

    /// `CLOCK_MONOTONIC` in nanoseconds.
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
