/// The `--on-result` command, split into argv once at start-up.
///
/// The operator's text is split into words at spaces; single quotes keep
/// everything literally, double quotes keep spaces, a backslash outside single
/// quotes escapes the next character. No expansion of any kind happens and no
/// job data is ever put into it: the job reaches the command on stdin and in
/// `OCRSPOOL_*` environment variables. Run `sh -c '…'` to get a shell.
struct HookCommand: Sendable, Equatable {
    let argv: [String]

    /// Splits `text`; nil when it has no words or an unclosed quote.
    init?(_ text: String) {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                word.append(character)
                escaped = false
            } else if quote == "'" {
                if character == "'" { quote = nil } else { word.append(character) }
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if quote == "\"" {
                if character == "\"" { quote = nil } else { word.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(word) }
        guard !words.isEmpty else { return nil }
        argv = words
    }
}
