/// Command-line options in the `--name value`, `--name=value` and `--flag` forms.
///
/// Each daemon declares which names take a value and which are flags; anything
/// else is an error naming the option, so a typo never passes silently.
public struct Options: Sendable {
    /// A usage mistake, printed to the user with the program's usage text.
    public struct UsageError: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public private(set) var values: [String: [String]] = [:]
    public private(set) var flags: Set<String> = []
    /// Arguments that are not options, in order.
    public private(set) var positional: [String] = []

    /// Parses `arguments` (without the program name).
    ///
    /// - Parameters:
    ///   - valued: option names (without `--`) that take a value; may repeat.
    ///   - flags: option names that take none.
    public init(_ arguments: [String], valued: Set<String>, flags allowed: Set<String>) throws {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                positional.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var inline: String?
            if let equals = name.firstIndex(of: "=") {
                inline = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if allowed.contains(name), inline == nil {
                flags.insert(name)
            } else if valued.contains(name) {
                if let inline {
                    values[name, default: []].append(inline)
                } else if index < arguments.count {
                    values[name, default: []].append(arguments[index])
                    index += 1
                } else {
                    throw UsageError("option --\(name) needs a value")
                }
            } else {
                throw UsageError("unknown option --\(name)")
            }
        }
    }

    /// The last value given for `name`, if any.
    public func value(_ name: String) -> String? { values[name]?.last }

    /// Every value given for a repeatable option, in order.
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// An integer option within `range`, or `fallback` when absent.
    public func integer(
        _ name: String, default fallback: Int, in range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError("--\(name) must be an integer in \(range), got \(text)")
        }
        return number
    }

    /// A duration option such as `500ms`, `30s`, `5m`, `2h`, `7d`, in seconds.
    public func duration(_ name: String, default fallback: Double) throws -> Double {
        guard let text = value(name) else { return fallback }
        guard let seconds = Options.parseDuration(text) else {
            throw UsageError("--\(name) must be a duration like 500ms, 30s, 5m, 2h or 7d, got \(text)")
        }
        return seconds
    }

    /// Parses `500ms`, `30s`, `5m`, `2h`, `7d` or a bare number of seconds.
    public static func parseDuration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number >= 0 else { return nil }
            return number * scale
        }
        guard let number = Double(text), number >= 0 else { return nil }
        return number
    }

    /// A byte size such as `10M`, `512K`, `2G` or a bare number of bytes.
    public static func parseSize(_ text: String) -> Int? {
        let units: [(String, Int)] = [("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, scale) in units where text.uppercased().hasSuffix(suffix) {
            guard let number = Int(text.dropLast()), number >= 0 else { return nil }
            return number * scale
        }
        guard let number = Int(text), number >= 0 else { return nil }
        return number
    }
}
