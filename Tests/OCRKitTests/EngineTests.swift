import Foundation
import OCRKit
import Testing

@Suite struct EngineTests {
    @Test func textModeReadsWordsAndNumberLikeTheReference() throws {
        let engine = try OCREngine()
        for image in Fixtures.numbers where image.kind == "words" {
            let reading = try engine.read(Fixtures.bytes(image.file), mode: .text,
                                          limits: ReadLimits())
            let hasLetters = reading.text.contains { $0.isLetter }
            #expect(hasLetters,
                    "\(image.file): text mode lost the words: \(reading.text)")
            #expect(reading.digits.contains(image.expected),
                    "\(image.file): got \(reading.digits), want \(image.expected) in it")
            #expect(reading.strategy == "text")
        }
    }

    @Test func engineIsReusedAcrossModesWithoutLeakingSettings() throws {
        let engine = try OCREngine()
        let words = Fixtures.bytes("0006-words.png")
        let first = try engine.read(words, mode: .text, limits: ReadLimits())
        _ = try engine.read(words, mode: .digits, limits: ReadLimits())
        let again = try engine.read(words, mode: .text, limits: ReadLimits())
        #expect(again.text == first.text, "got \(again.text), want \(first.text)")
    }

    @Test func deadlineStopsRecognitionWithTimeout() throws {
        // Recognising page.png in full takes over 10 s here; Tesseract's
        // monitor must stop it soon after 300 ms. Layout analysis runs before
        // the monitor's first check, and a loaded machine slows everything,
        // hence the wide bound.
        let engine = try OCREngine()
        let started = Date()
        let error = #expect(throws: OCRError.self) {
            try engine.read(Fixtures.bytes("page.png"), mode: .text,
                            limits: ReadLimits(deadlineMilliseconds: 300))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(error?.code == .timeout, "got \(String(describing: error)), want timeout")
        #expect(elapsed < 6, "took \(elapsed) s to give up")

        // The engine is still usable after a timeout.
        let reading = try engine.read(Fixtures.bytes("0000-clean.png"), mode: .digits,
                                      limits: ReadLimits())
        #expect(reading.digits == "06018")
    }

    @Test func missingLanguageDataIsEngineFailed() {
        let error = #expect(throws: OCRError.self) {
            try OCREngine(dataPath: "/nonexistent/tessdata")
        }
        #expect(error?.code == .engineFailed)
    }

    @Test func readingEncodesToJSON() throws {
        let engine = try OCREngine()
        let reading = try engine.read(Fixtures.bytes("0000-clean.png"), mode: .digits,
                                      limits: ReadLimits())
        let decoded = try JSONDecoder().decode(
            Reading.self, from: JSONEncoder().encode(reading))
        #expect(decoded == reading)
    }
}
