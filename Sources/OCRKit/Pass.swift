import CTesseract

/// One way of running Tesseract over an image: preprocessing, segmentation
/// and character set. The digits strategy combines several.
struct Pass: Sendable, Equatable {
    /// How Tesseract turns grey into black and white (`thresholding_method`).
    enum Threshold: String, Sendable {
        /// Tesseract's global Otsu, the default.
        case otsu = "0"
        /// Sauvola's local threshold, which copes with textured backgrounds.
        case sauvola = "2"
    }

    /// How the image is resized before recognition.
    enum Scale: Sendable, Equatable {
        /// As decoded.
        case none
        /// Enlarged (never shrunk) so that text is about this many pixels high;
        /// binarisation of small print loses strokes that enlargement keeps.
        case textHeight(Int)
    }

    /// What is done to the grey image before it is scaled.
    enum Filter: String, Sendable {
        /// Nothing.
        case none
        /// A 3x3 median: removes speckle and grain, keeps edges.
        case median
        /// A 3x3 box blur (`pixBlockconv`): joins broken strokes and evens out
        /// grain so that a global threshold finds the ink.
        case smooth
        /// A 5x5 box blur, for heavier grain.
        case smoothMore
        /// Background flattened to one level (`pixBackgroundNormSimple`):
        /// for uneven lighting and faint print.
        case flatten
    }

    /// The name reported in `Reading.strategy`.
    var name: String
    /// `PSM_SINGLE_LINE` for a number, `PSM_AUTO` or `PSM_SINGLE_BLOCK` for text.
    var segmentation: TessPageSegMode
    /// Restrict recognition to 0-9 (`tessedit_char_whitelist`).
    var digitsOnly: Bool
    var threshold: Threshold = .otsu
    var scale: Scale = .none
    var filter: Filter = .none
}

/// What one pass read.
struct PassResult {
    var pass: Pass
    var words: [Tesseract.Word]
    var text: String
    /// Tesseract's mean word confidence for the pass.
    var confidence: Double
    /// The factor the image was scaled by before this pass.
    var scale: Double

    /// The groups of digits, in reading order.
    var numbers: [String] { Reading.digitGroups(in: text) }

    /// The lowest confidence of any word that holds a digit, or 0 if none.
    var weakestDigitWord: Double {
        words.filter { $0.text.contains(where: \.isASCIIDigit) }
            .map(\.confidence).min() ?? 0
    }

    /// The tallest word's height in the original image's pixels; an estimate
    /// of the text height.
    var textHeight: Int {
        Int(Double(words.map { $0.bottom - $0.top }.max() ?? 0) / scale)
    }
}

extension Character {
    /// 0-9 only; `isNumber` also accepts other scripts' digits and fractions.
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
