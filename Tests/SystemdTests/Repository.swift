import Foundation

/// Paths of the repository's deployment files, found from this source file.
enum Repository {
    static let root: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func path(_ relative: String) -> String { "\(root)/\(relative)" }

    /// The service units, with the instance name to run a template as.
    static let services: [String] = [
        "ocrspool-upload.service", "ocrspool-ocr.service", "ocrspool-ocr@2.service",
        "ocrspool-result.service", "ocrspool-amqp.service",
    ]

    /// Every unit file in systemd/ (templates under their file name).
    static var unitFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path("systemd"))) ?? []
        return names.filter { [".service", ".socket", ".target"].contains(where: $0.hasSuffix) }
            .sorted()
    }

    /// Reads unit `name`; an instance such as `x@2.service` reads the template `x@.service`.
    static func unit(_ name: String) throws -> UnitFile {
        var file = name
        if let at = name.firstIndex(of: "@"), let dot = name.lastIndex(of: ".") {
            file = String(name[...at]) + String(name[dot...])
        }
        return try UnitFile(path: path("systemd/\(file)"), name: name)
    }

    /// Runs a program to completion; returns its exit status and combined output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
