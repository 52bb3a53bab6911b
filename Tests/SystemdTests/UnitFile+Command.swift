import Foundation

/// How systemd turns a unit's settings into a process: specifiers, quoting,
/// `Environment=`, `EnvironmentFile=` and `$VARIABLE` expansion in `ExecStart=`,
/// as systemd.service(5) "Command lines" and systemd.exec(5) describe them.
extension UnitFile {
    /// Replaces `%i`, `%I`, `%n`, `%N`, `%p` and `%%` with what they mean for this unit.
    func resolvingSpecifiers(_ text: String) throws -> String {
        let base = name.split(separator: ".").dropLast().joined(separator: ".")
        let prefix = base.split(separator: "@", maxSplits: 1).first.map(String.init) ?? base
        let instance = base.contains("@")
            ? String(base.split(separator: "@", maxSplits: 1).last ?? "") : ""
        var result = ""
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "%" else {
                result.append(character)
                continue
            }
            switch iterator.next() {
            case "%": result += "%"
            case "i", "I": result += instance
            case "n": result += name
            case "N": result += base
            case "p": result += prefix
            case let other:
                throw ParseError(description: "\(name): specifier %\(other.map(String.init) ?? "")"
                    + " is not understood by this test")
            }
        }
        return result
    }

    /// Splits a command line or an `Environment=` value into words: whitespace
    /// separates, single and double quotes group, backslash escapes.
    ///
    /// - Returns: each word with a flag saying whether it is a whole `$NAME`,
    ///   which systemd expands into zero or more words (quoted or not: systemd
    ///   unquotes first and expands after).
    static func words(_ text: String) throws -> [(word: String, splitsVariable: Bool)] {
        var words: [(String, Bool)] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaping = false
        func finish() {
            if inWord {
                let bare = current.hasPrefix("$") && !current.hasPrefix("${")
                    && current.dropFirst().allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
                    && current.count > 1
                words.append((current, bare))
            }
            current = ""
            inWord = false
        }
        for character in text {
            if escaping {
                let escapes: [Character: Character] = ["n": "\n", "t": "\t"]
                current.append(escapes[character] ?? character)
                escaping = false
            } else if character == "\\" {
                escaping = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                finish()
            } else {
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaping else {
            throw ParseError(description: "unterminated quote or escape in: \(text)")
        }
        finish()
        return words
    }

    /// The variables `Environment=` lines set, in order (later ones win).
    func environmentAssignments() throws -> [(String, String)] {
        var result: [(String, String)] = []
        for line in values("Service", "Environment") {
            for (word, _) in try UnitFile.words(try resolvingSpecifiers(line)) {
                guard let equals = word.firstIndex(of: "=") else {
                    throw ParseError(description: "\(name): Environment word without '=': \(word)")
                }
                result.append((String(word[..<equals]), String(word[word.index(after: equals)...])))
            }
        }
        return result
    }

    /// The `EnvironmentFile=` paths, each with whether it may be missing (`-` prefix).
    func environmentFiles() throws -> [(path: String, optional: Bool)] {
        try values("Service", "EnvironmentFile").map { line in
            let resolved = try resolvingSpecifiers(line)
            return resolved.hasPrefix("-")
                ? (String(resolved.dropFirst()), true) : (resolved, false)
        }
    }

    /// The `ExecStart=` argv with `environment` expanded into it: `${NAME}` is
    /// replaced in place and stays one word; a bare `$NAME` word becomes the
    /// value split at whitespace; `$$` is a literal `$`.
    func execStart(environment: [String: String]) throws -> [String] {
        let lines = values("Service", "ExecStart")
        guard lines.count == 1, let line = lines.first else {
            throw ParseError(description: "\(name): want one ExecStart=, got \(lines.count)")
        }
        guard let first = line.first, !"-@+!:".contains(first) else {
            throw ParseError(description: "\(name): ExecStart prefixes are not understood here")
        }
        var argv: [String] = []
        for (word, splits) in try UnitFile.words(try resolvingSpecifiers(line)) {
            if splits {
                let value = environment[String(word.dropFirst())] ?? ""
                argv += value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                    .map(String.init)
            } else {
                argv.append(UnitFile.expandBraced(word, environment))
            }
        }
        return argv
    }

    /// Replaces every `${NAME}` in `word` (unset: empty) and `$$` with `$`.
    static func expandBraced(_ word: String, _ environment: [String: String]) -> String {
        var result = ""
        var rest = Substring(word)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                result += "$"
                rest = after.dropFirst()
            } else if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                let name = String(after[after.index(after: after.startIndex)..<close])
                result += environment[name] ?? ""
                rest = after[after.index(after: close)...]
            } else {
                result += "$"
                rest = after
            }
        }
        return result + rest
    }
}

/// A systemd `EnvironmentFile=`: `KEY=value` lines, `#`/`;` comments, values
/// optionally in single or double quotes.
enum EnvironmentFile {
    static func parse(_ text: String) throws -> [(String, String)] {
        var result: [(String, String)] = []
        for (number, raw) in text.split(separator: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw UnitFile.ParseError(description: "line \(number + 1): not KEY=value: \(line)")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'",
               value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            result.append((key, value))
        }
        return result
    }
}
