import Foundation

/// The images of a directory written by `scripts/make-test-images`, loaded
/// into memory so that disk reads do not count in the timings.
struct ImageSet {
    /// One image and what it should read.
    struct Image: Sendable {
        var path: String
        var kind: String
        var expected: String
        var bytes: [UInt8]
    }

    var directory: String
    var images: [Image]

    /// Loads `DIR/manifest.tsv` (file, kind, expected digits) and its files.
    init(directory: String, limit: Int?) throws {
        self.directory = directory
        let manifest = directory + "/manifest.tsv"
        guard let text = try? String(contentsOfFile: manifest, encoding: .utf8) else {
            throw BenchError("cannot read \(manifest)")
        }

        var images: [Image] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else {
                throw BenchError("\(manifest): bad line \"\(line)\"")
            }
            let path = directory + "/" + fields[0]
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BenchError("cannot read \(path)")
            }
            images.append(Image(
                path: path, kind: String(fields[1]), expected: String(fields[2]),
                bytes: [UInt8](data)))
            if let limit, images.count >= limit { break }
        }
        guard !images.isEmpty else { throw BenchError("\(manifest) lists no images") }
        self.images = images
    }

    /// Kinds in order of first appearance.
    var kinds: [String] {
        var seen: [String] = []
        for image in images where !seen.contains(image.kind) {
            seen.append(image.kind)
        }
        return seen
    }
}
