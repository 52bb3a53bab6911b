/// The result of reading one image.
public struct Reading: Sendable, Codable, Equatable {
    /// What was read: in text mode the full text, in digits mode the chosen
    /// line.
    public var text: String

    /// The digits read, in reading order, without separators.
    public var digits: String

    /// The groups of consecutive digits, in reading order.
    public var numbers: [String]

    /// Tesseract's confidence in the reading, 0 to 100.
    public var confidence: Double

    /// Wall-clock time spent in Tesseract and preprocessing, in milliseconds.
    public var ocrMilliseconds: Double

    /// The decoded image's width in pixels.
    public var width: Int

    /// The decoded image's height in pixels.
    public var height: Int

    /// Which pass (or agreement of passes) produced the reading, for logs and
    /// tuning; for example `line` or `vote:line+sauvola`.
    public var strategy: String

    /// Creates a reading; `digits` and `numbers` are derived from `text`.
    public init(
        text: String, confidence: Double, ocrMilliseconds: Double = 0,
        width: Int, height: Int, strategy: String
    ) {
        self.text = text
        self.numbers = Reading.digitGroups(in: text)
        self.digits = numbers.joined()
        self.confidence = confidence
        self.ocrMilliseconds = ocrMilliseconds
        self.width = width
        self.height = height
        self.strategy = strategy
    }

    /// The runs of ASCII digits in `text`, in order.
    public static func digitGroups(in text: String) -> [String] {
        var groups: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x30 && scalar.value <= 0x39 {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                groups.append(current)
                current = ""
            }
        }
        if !current.isEmpty {
            groups.append(current)
        }
        return groups
    }
}
