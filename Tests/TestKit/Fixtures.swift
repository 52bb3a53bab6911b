import Foundation

/// Files committed under `Tests/Fixtures`.
public enum TestFixtures {
    /// The `Tests/Fixtures` directory of this checkout.
    public static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }

    /// The bytes of `Tests/Fixtures/<name>`, e.g. `ocr/0000-clean.png`.
    public static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))
    }

    /// The clean printed-digit images and the digits each shows, from the OCR manifest.
    public static func cleanDigits() throws -> [(file: String, digits: String)] {
        let manifest = try String(contentsOfFile: "\(directory)/ocr/manifest.tsv", encoding: .utf8)
        return manifest.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count >= 3, fields[1] == "clean" else { return nil }
            return ("ocr/\(fields[0])", fields[2])
        }
    }
}
