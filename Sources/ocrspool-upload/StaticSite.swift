import DaemonKit
import Foundation
import HTTPKit

/// The upload page's files, read once at start and served from memory.
///
/// Only regular files directly inside the directory are served, under their own
/// names, so no client path ever reaches the file system.
struct StaticSite: Sendable {
    private struct File: Sendable {
        var bytes: [UInt8]
        var type: String
    }

    private let files: [String: File]

    /// Loads the top-level files of `directory` (each at most 4 MiB).
    init(directory: String, logger: Logger) {
        var files: [String: File] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where !name.hasPrefix(".") {
            let path = "\(directory)/\(name)"
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let size = attributes[.size] as? Int, size <= 4 << 20,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            files["/\(name)"] = File(bytes: Array(data), type: StaticSite.type(of: name))
        }
        if files["/index.html"] == nil {
            logger.warning("upload page missing", ["www": directory])
        }
        self.files = files
    }

    var isEmpty: Bool { files.isEmpty }

    /// The response for `path`, or nil when no such file is served.
    func response(for path: String) -> HTTPResponse? {
        guard let file = files[path == "/" ? "/index.html" : path] else { return nil }
        var response = HTTPResponse(status: 200, headers: [("Content-Type", file.type)])
        response.body = file.bytes
        response.add("Cache-Control", "no-cache")
        response.add(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' blob: data:; frame-ancestors 'none'")
        response.add("Referrer-Policy", "no-referrer")
        return response
    }

    private static func type(of name: String) -> String {
        switch URL(fileURLWithPath: name).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "json": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "text/plain; charset=utf-8"
        }
    }
}
