import Testing
import OCRKit
@Test func linksTesseract() { #expect(tesseractVersion().hasPrefix("5")) }
