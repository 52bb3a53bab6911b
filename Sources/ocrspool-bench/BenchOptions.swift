/// Command-line options shared by the subcommands.
struct BenchOptions {
    /// Worker threads (and parallel `tesseract` processes).
    var threads = 2
    /// Use only the first N images of the set.
    var limit: Int?
    /// Skip the slow reference run in `accuracy`.
    var reference = true
    /// List every image OCRKit misread.
    var failures = false

    init(_ arguments: ArraySlice<String>) throws {
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--threads":
                threads = try Self.count(rest.popFirst(), for: argument)
            case "--limit":
                limit = try Self.count(rest.popFirst(), for: argument)
            case "--no-reference":
                reference = false
            case "--failures":
                failures = true
            default:
                throw BenchError("unknown option \(argument)")
            }
        }
    }

    private static func count(_ value: String?, for option: String) throws -> Int {
        guard let value, let number = Int(value), number > 0 else {
            throw BenchError("\(option) needs a positive number")
        }
        return number
    }
}

/// A benchmark that cannot run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
