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

    /// Copies `bytes` straight into `incoming/name`, as a person with `cp` would.
    public func drop(_ bytes: [UInt8], as name: String) throws {
        let path = "\(spool.directory(.incoming))/\(name)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    /// The entry names in `queue`.
    public func entries(_ queue: Queue) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool.directory(queue))) ?? []).sorted()
    }
}
