import Foundation

/// The reference design's way of reading an image: one `tesseract` process
/// per image, default settings, text on stdout.
enum ReferenceTesseract {
    /// Runs `tesseract PATH stdout` and returns what it printed, or nil if it
    /// could not run or failed.
    static func read(_ path: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tesseract")
        process.arguments = [path, "stdout"]
        process.environment = BenchEnvironment.referenceEnvironment()
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
