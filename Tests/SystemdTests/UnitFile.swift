import Foundation

/// A systemd unit file read the way systemd reads it: `[Section]` headers,
/// `Key=Value` lines, `#`/`;` comments, and lines continued by a trailing `\`.
///
/// Values keep their order and repeats (`Environment=` may appear many times;
/// an empty assignment resets such a list, which `values` applies).
struct UnitFile: Sendable {
    struct Entry: Sendable {
        var section: String
        var key: String
        var value: String
    }

    /// A unit file that systemd would not parse the way we mean it.
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// The unit's name, such as `ocrspool-ocr@2.service` for an instance.
    let name: String
    let entries: [Entry]

    /// Parses `text` as the unit `name`.
    init(name: String, text: String) throws {
        self.name = name
        var entries: [Entry] = []
        var section = ""
        var pending = ""
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            // Comment lines are dropped even in the middle of a continued value.
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            let logical = pending + line
            pending = ""
            if logical.isEmpty { continue }
            if logical.hasPrefix("[") {
                guard logical.hasSuffix("]") else {
                    throw ParseError(description: "\(name):\(number + 1): bad section \(logical)")
                }
                section = String(logical.dropFirst().dropLast())
                continue
            }
            guard let equals = logical.firstIndex(of: "="), !section.isEmpty else {
                throw ParseError(description: "\(name):\(number + 1): not Key=Value: \(logical)")
            }
            entries.append(Entry(
                section: section,
                key: logical[..<equals].trimmingCharacters(in: .whitespaces),
                value: logical[logical.index(after: equals)...]
                    .trimmingCharacters(in: .whitespaces)))
        }
        self.entries = entries
    }

    /// Reads the unit file at `path`, giving it `name` (default: the file's name).
    init(path: String, name: String? = nil) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try self.init(name: name ?? URL(fileURLWithPath: path).lastPathComponent, text: text)
    }

    /// Every value of `key` in `section`, in order, after the last empty assignment.
    func values(_ section: String, _ key: String) -> [String] {
        var result: [String] = []
        for entry in entries where entry.section == section && entry.key == key {
            if entry.value.isEmpty { result = [] } else { result.append(entry.value) }
        }
        return result
    }

    /// The last value of `key` in `section`, as systemd uses for single-valued keys.
    func value(_ section: String, _ key: String) -> String? {
        entries.last { $0.section == section && $0.key == key }?.value
    }

    /// The section's entries as `Key=Value` lines, for comparing two units.
    func lines(_ section: String) -> [String] {
        entries.filter { $0.section == section }.map { "\($0.key)=\($0.value)" }
    }

    /// Seconds in a time span such as `20s`, `1min 30s`, `500ms` or a bare `90`.
    static func seconds(_ span: String) -> Double? {
        let units: [(String, Double)] = [
            ("ms", 0.001), ("min", 60), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400),
        ]
        var total = 0.0
        for word in span.split(separator: " ") {
            let digits = word.prefix { $0.isNumber || $0 == "." }
            guard let number = Double(digits) else { return nil }
            let suffix = String(word.dropFirst(digits.count))
            if suffix.isEmpty {
                total += number
            } else if let unit = units.first(where: { $0.0 == suffix }) {
                total += number * unit.1
            } else {
                return nil
            }
        }
        return total
    }
}
