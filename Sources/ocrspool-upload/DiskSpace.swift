#if canImport(Glibc)
import Glibc
#endif
import DaemonKit

/// Free space on the file system holding a path, as an unprivileged user sees it.
enum DiskSpace {
    /// Bytes available to unprivileged writers (`statvfs` `f_bavail * f_frsize`).
    static func available(at path: String) throws -> Int {
        var info = statvfs()
        try Syscall.retrying("statvfs", path) { statvfs(path, &info) }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
