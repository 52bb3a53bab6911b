import Foundation

/// A real process started by a test: one of the package's own binaries or a
/// system program, with its stderr kept in a file for assertions and failures.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    /// Where the child's stderr (and stdout) go.
    public let logPath: String

    /// The directory holding the package's built executables (beside the test bundle).
    public static var productsDirectory: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("ocrspool").path) {
                return url.path
            }
            url.deleteLastPathComponent()
        }
        return ".build/debug"
    }

    /// The path of one of the package's executables, such as `ocrspool-ocr`.
    public static func product(_ name: String) -> String { "\(productsDirectory)/\(name)" }

    /// Starts `executable` with `arguments`; extra `environment` entries are added.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:],
        logDirectory: String
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let name = URL(fileURLWithPath: executable).lastPathComponent
        logPath = "\(logDirectory)/\(name)-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// What the child has written so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits up to `timeout` seconds for exit; returns the exit status, or nil if still running.
    public func wait(timeout: Double) -> Int32? {
        guard waitUntil(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// Kills with SIGKILL and reaps.
    public func kill9() {
        signal(SIGKILL)
        process.waitUntilExit()
    }
}
