import Foundation

/// Process environment the benchmark needs before any engine exists.
enum BenchEnvironment {
    /// Set when this process re-executed itself to add `OMP_THREAD_LIMIT`;
    /// child `tesseract` processes then get the environment without it.
    static let addedMarker = "OCRSPOOL_BENCH_ADDED_OMP_LIMIT"

    /// Re-executes this program with `OMP_THREAD_LIMIT=1` unless it is set.
    ///
    /// libgomp reads the variable once, when libtesseract is loaded, so
    /// setting it from inside the process is too late. Without it several
    /// engines in one process run three times slower than one.
    static func ensureSingleThreadedOpenMP() {
        guard getenv("OMP_THREAD_LIMIT") == nil else { return }
        setenv("OMP_THREAD_LIMIT", "1", 1)
        setenv(addedMarker, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)

        // Still here: exec failed. Run on, slower, and say so.
        printError("ocrspool-bench: cannot re-exec with OMP_THREAD_LIMIT=1: "
            + String(cString: strerror(errno)) + "; engine figures will be low")
        unsetenv(addedMarker)
    }

    /// The environment for a child `tesseract` process: the one the user
    /// started this benchmark with, so the reference runs as it would alone.
    static func referenceEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if environment[addedMarker] != nil {
            environment["OMP_THREAD_LIMIT"] = nil
            environment[addedMarker] = nil
        }
        return environment
    }
}

/// Writes a line to stderr.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
