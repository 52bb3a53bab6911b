import Foundation

/// The committed images under Tests/Fixtures/ocr, written by
/// `scripts/make-test-images Tests/Fixtures/ocr --count 21 --seed 7 --bad-files`.
enum Fixtures {
    /// The fixture directory, found from this source file.
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/ocr").path
    }()

    /// The bytes of one fixture; a missing fixture is a broken checkout.
    static func bytes(_ name: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory + "/" + name) else {
            fatalError("missing fixture \(name) in \(directory)")
        }
        return [UInt8](data)
    }

    /// The rows of a tab-separated fixture table.
    static func table(_ name: String) -> [[String]] {
        let text = String(decoding: bytes(name), as: UTF8.self)
        return text.split(separator: "\n").map {
            $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// One image of a number and what it must read.
    struct NumberImage: CustomStringConvertible, Sendable {
        var file: String, kind: String, expected: String
        var description: String { file }
    }

    /// Every image in manifest.tsv.
    static var numbers: [NumberImage] {
        table("manifest.tsv").map { NumberImage(file: $0[0], kind: $0[1], expected: $0[2]) }
    }

    /// One file that must be refused, and the code it must be refused with.
    struct BadFile: CustomStringConvertible, Sendable {
        var file: String, code: String
        var description: String { file }
    }

    /// Every file in bad.tsv.
    static var badFiles: [BadFile] {
        table("bad.tsv").map { BadFile(file: $0[0], code: $0[1]) }
    }
}
