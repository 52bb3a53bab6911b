import Foundation

/// The directories `systemd/ocrspool.tmpfiles` declares, read from its `d` lines.
struct TmpfilesEntry: Equatable, Sendable {
    var path: String
    var mode: String
    var user: String
    var group: String
    var age: String

    /// The `d` entries of the repository's tmpfiles.d file.
    static func repositoryEntries() throws -> [TmpfilesEntry] {
        let text = try String(
            contentsOfFile: Repository.path("systemd/ocrspool.tmpfiles"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                .map(String.init)
            guard fields.count == 6, fields[0] == "d" else { return nil }
            return TmpfilesEntry(
                path: fields[1], mode: fields[2], user: fields[3], group: fields[4], age: fields[5])
        }
    }

    /// Creates each directory at its path with `prefix` replaced by `local`, as
    /// systemd-tmpfiles would at boot (ownership aside: the test is not root-only).
    static func create(
        _ entries: [TmpfilesEntry], mapping prefix: String, to local: String
    ) throws {
        for entry in entries {
            let path = entry.path.replacingOccurrences(of: prefix, with: local)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            chmod(path, mode_t(entry.mode, radix: 8) ?? 0o700)
        }
    }
}
