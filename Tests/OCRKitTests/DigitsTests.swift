import OCRKit
import Testing

@Suite struct DigitsTests {
    /// One engine for the suite's tests, as a daemon worker keeps one.
    let engine: OCREngine

    init() throws {
        engine = try OCREngine()
    }

    @Test(arguments: Fixtures.numbers)
    func readsTheNumberExactly(_ image: Fixtures.NumberImage) throws {
        let reading = try engine.read(Fixtures.bytes(image.file), mode: .digits,
                                      limits: ReadLimits())
        #expect(
            reading.digits == image.expected,
            "\(image.file) \(image.kind): got \(reading.digits), want \(image.expected)")
        #expect(reading.confidence > 0 && reading.confidence <= 100)
        #expect(reading.width > 0 && reading.height > 0)
    }

    @Test func numberAmongWordsGivesOnlyTheNumber() throws {
        for image in Fixtures.numbers where image.kind == "words" {
            let reading = try engine.read(Fixtures.bytes(image.file), mode: .digits,
                                          limits: ReadLimits())
            #expect(reading.numbers == [image.expected],
                    "\(image.file): got \(reading.numbers), want [\(image.expected)]")
            #expect(reading.strategy.hasPrefix("words>"),
                    "\(image.file): words not noticed, strategy \(reading.strategy)")
        }
    }

    @Test func digitGroupsSplitOnAnythingButDigits() {
        let cases: [(String, [String])] = [
            ("", []), ("abc", []), ("58213", ["58213"]),
            ("Order No. 58213", ["58213"]), ("12 345-67\n8", ["12", "345", "67", "8"]),
            ("x1y22z", ["1", "22"]), ("٣4", ["4"]),
        ]
        for (text, want) in cases {
            let got = Reading.digitGroups(in: text)
            #expect(got == want, "\(text.debugDescription): got \(got), want \(want)")
        }
    }
}
