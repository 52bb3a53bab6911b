import CTesseract

#if canImport(Glibc)
import Glibc
#endif

/// Owns one `TessBaseAPI` handle: the thin layer between OCRKit and
/// Tesseract's C API. Nothing else in OCRKit sees a Tesseract pointer.
///
/// Not thread-safe, like the handle it owns.
final class Tesseract {
    /// One recognised word with Tesseract's confidence and its bounding box
    /// in the coordinates of the image last set.
    struct Word {
        var text: String
        var confidence: Double
        var left: Int, top: Int, right: Int, bottom: Int
    }

    private let handle: OpaquePointer

    /// Loads a language model (`TessBaseAPIInit3`); the expensive step.
    ///
    /// - Parameter dataPath: the `tessdata` directory, or nil for Tesseract's
    ///   default (`TESSDATA_PREFIX` or the compiled-in path).
    init(dataPath: String?, language: String) throws {
        guard let handle = TessBaseAPICreate() else {
            throw OCRError(.engineFailed, "TessBaseAPICreate returned nil")
        }
        self.handle = handle

        // Tesseract prints resolution guesses and the like on stderr; a
        // daemon's stderr is its log.
        _ = TessBaseAPISetVariable(handle, "debug_file", "/dev/null")
        // On failure, deinit still runs (every stored property is set) and
        // frees the handle.
        guard TessBaseAPIInit3(handle, dataPath, language) == 0 else {
            throw OCRError(
                .engineFailed,
                "TessBaseAPIInit3 cannot load \(language).traineddata from "
                    + (dataPath ?? "the default tessdata directory"))
        }
    }

    deinit {
        TessBaseAPIEnd(handle)
        TessBaseAPIDelete(handle)
    }

    /// Sets a Tesseract parameter (`TessBaseAPISetVariable`). An unknown name
    /// is a programmer's mistake and traps.
    func set(_ name: String, _ value: String) {
        let known = TessBaseAPISetVariable(handle, name, value)
        precondition(known != 0, "unknown tesseract variable \(name)")
    }

    /// The page segmentation mode (`TessBaseAPISetPageSegMode`).
    func setPageSegMode(_ mode: TessPageSegMode) {
        TessBaseAPISetPageSegMode(handle, mode)
    }

    /// Sets the image for the next recognition (`TessBaseAPISetImage2`),
    /// which copies what it needs from `pix`.
    func setImage(_ pix: Pix) {
        TessBaseAPISetImage2(handle, pix.pointer)
        // Without a resolution Tesseract guesses one per image, and warns.
        TessBaseAPISetSourceResolution(handle, 300)
    }

    /// Recognises the image set last (`TessBaseAPIRecognize`), under a
    /// progress monitor whose deadline is what is left of `deadline`.
    ///
    /// - Throws: `timeout` when the deadline passes before Tesseract is done,
    ///   `engineFailed` when Tesseract fails otherwise.
    func recognize(deadline: Deadline) throws {
        let remaining = deadline.remainingMilliseconds
        guard remaining > 0 else { throw deadline.expired() }
        guard let monitor = TessMonitorCreate() else {
            throw OCRError(.engineFailed, "TessMonitorCreate returned nil")
        }
        defer { TessMonitorDelete(monitor) }
        TessMonitorSetDeadlineMSecs(monitor, Int32(clamping: remaining))

        let status = TessBaseAPIRecognize(handle, monitor)
        if status != 0 {
            // Tesseract says only that it stopped; the clock says why.
            if deadline.remainingMilliseconds <= 0 { throw deadline.expired() }
            throw OCRError(.engineFailed, "TessBaseAPIRecognize returned \(status)")
        }
    }

    /// The recognised text (`TessBaseAPIGetUTF8Text`).
    func text() -> String {
        guard let text = TessBaseAPIGetUTF8Text(handle) else { return "" }
        defer { TessDeleteText(text) }
        return String(cString: text)
    }

    /// The mean word confidence, 0 to 100 (`TessBaseAPIMeanTextConf`).
    func meanConfidence() -> Double {
        Double(max(0, TessBaseAPIMeanTextConf(handle)))
    }

    /// The recognised words in reading order (`TessBaseAPIGetIterator`,
    /// `TessResultIteratorConfidence`, `TessPageIteratorBoundingBox`).
    func words() -> [Word] {
        guard let iterator = TessBaseAPIGetIterator(handle) else { return [] }
        defer { TessResultIteratorDelete(iterator) }
        let page = TessResultIteratorGetPageIterator(iterator)

        var words: [Word] = []
        repeat {
            guard let raw = TessResultIteratorGetUTF8Text(iterator, RIL_WORD) else {
                continue
            }
            let text = String(cString: raw)
            TessDeleteText(raw)
            var left: Int32 = 0, top: Int32 = 0, right: Int32 = 0, bottom: Int32 = 0
            _ = TessPageIteratorBoundingBox(page, RIL_WORD, &left, &top, &right, &bottom)
            let confidence = Double(TessResultIteratorConfidence(iterator, RIL_WORD))
            words.append(Word(
                text: text, confidence: confidence, left: Int(left), top: Int(top),
                right: Int(right), bottom: Int(bottom)))
        } while TessResultIteratorNext(iterator, RIL_WORD) != 0
        return words
    }

    /// Frees the results of the last recognition (`TessBaseAPIClear`).
    func clear() {
        TessBaseAPIClear(handle)
    }
}
