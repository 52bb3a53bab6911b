#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A line-per-event logger: a fixed lower-case phrase, then `key=value` fields.
///
/// Lines go to stderr. Under systemd (`JOURNAL_STREAM` set) each line starts with
/// a syslog priority prefix such as `<6>` so journald keeps the level. Values with
/// spaces or quotes are quoted. Callers never pass image bytes or credentials.
public struct Logger: Sendable {
    /// Severity, ordered from the most to the least verbose.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug = 7, info = 6, notice = 5, warning = 4, error = 3

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue > rhs.rawValue }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { "\($0)" == name }) else {
                return nil
            }
            self = level
        }
    }

    /// The program or component name, written as the first field.
    public var label: String
    /// Events below this level are dropped.
    public var minimum: Level
    private let priorityPrefix: Bool

    public init(label: String, minimum: Level = .info) {
        self.label = label
        self.minimum = minimum
        self.priorityPrefix = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    }

    public func debug(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.debug, event, fields)
    }

    public func info(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.info, event, fields)
    }

    public func notice(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.notice, event, fields)
    }

    public func warning(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.warning, event, fields)
    }

    public func error(_ event: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        log(.error, event, fields)
    }

    /// Writes one event line if `level` is at or above the minimum.
    public func log(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, Any>) {
        guard level >= minimum else { return }
        var line = priorityPrefix ? "<\(level.rawValue)>" : ""
        line += Logger.format(event: event, fields: fields, label: label, level: level)
        line += "\n"
        line.withCString { pointer in
            _ = Glibc.write(2, pointer, strlen(pointer))
        }
    }

    /// Formats an event the way `log` writes it, without the priority prefix.
    public static func format(
        event: String, fields: KeyValuePairs<String, Any>, label: String, level: Level
    ) -> String {
        var line = "\(label) \(level) \(event)"
        for (key, value) in fields {
            line += " \(key)=\(quoted(String(describing: value)))"
        }
        return line
    }

    private static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" }
        let flat = value.replacingOccurrences(of: "\n", with: "\\n")
        guard needsQuotes else { return flat }
        return "\"" + flat.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
