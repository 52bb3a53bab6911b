import Foundation
import SpoolKit

/// A fresh directory under the system's temporary directory, removed on release.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "ocrspool") throws {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// A spool of its own in a temporary directory, with its layout created.
public final class TemporarySpool: @unchecked Sendable {
    public let directory: TemporaryDirectory
    public let spool: Spool

    public init(_ label: String = "spool") throws {
        directory = try TemporaryDirectory(label)
        spool = Spool(root: directory.file("spool"))
        try spool.create()
    }

    /// Writes `bytes` straight into `incoming/name`, in place, as `cp` does: the
    /// file exists, empty then growing, before its writer closes it.
    public func drop(_ bytes: [UInt8], as name: String) throws {
        let path = "\(spool.directory(.incoming))/\(name)"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                write(fd, $0.baseAddress! + offset, $0.count - offset)
            }
            guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            offset += written
        }
    }

    /// The entry names in `queue`.
    public func entries(_ queue: Queue) -> [String] {
        let listed = try? FileManager.default.contentsOfDirectory(atPath: spool.directory(queue))
        return (listed ?? []).sorted()
    }
}
