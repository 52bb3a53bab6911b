#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: the operation, every path involved and errno.
///
/// Its description reads like a shell diagnostic:
/// `rename incoming/a.png to processing/a.png: No such file or directory (errno 2)`.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The call that failed, as a verb: `open`, `rename`, `fsync`.
    public var operation: String
    /// The paths the call was given, in argument order.
    public var paths: [String]
    /// The errno value the call left.
    public var errno: Int32

    public init(_ operation: String, paths: [String] = [], errno: Int32) {
        self.operation = operation
        self.paths = paths
        self.errno = errno
    }

    public var description: String {
        var head = operation
        if let first = paths.first { head += " \(first)" }
        if paths.count > 1 { head += " to \(paths[1])" }
        return "\(head): \(String(cString: strerror(errno))) (errno \(errno))"
    }

    /// True when the error means the path did not exist.
    public var isNotFound: Bool { errno == ENOENT }
    /// True when the error means the target already existed.
    public var isAlreadyExists: Bool { errno == EEXIST }
}

/// The one place where system calls are made and their status turned into errors.
public enum Syscall {
    /// Runs `call` until it stops failing with `EINTR`; throws on any other failure.
    ///
    /// - Parameters:
    ///   - operation: the name used in the thrown error.
    ///   - paths: the paths named in the thrown error.
    ///   - call: returns -1 and sets errno on failure, as C calls do.
    /// - Returns: the call's non-negative result.
    @discardableResult
    public static func retrying<Result: BinaryInteger>(
        _ operation: String, _ paths: String..., call: () -> Result
    ) throws -> Result {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = Glibc.errno
            if code == EINTR { continue }
            throw SystemError(operation, paths: paths, errno: code)
        }
    }
}
