import CTesseract

/// One Tesseract engine: `eng.traineddata` is loaded once, in `init`, and
/// reused for every image.
///
/// Not thread-safe: create one per worker thread and keep it for the life of
/// the thread (loading takes 100-200 ms, a read of a small image 10-30 ms).
public final class OCREngine {
    let tesseract: Tesseract

    /// The settings last given to `tesseract`, so that a pass only pays for
    /// the variables it changes.
    private var current: (segmentation: TessPageSegMode, digitsOnly: Bool,
                          threshold: Pass.Threshold)?

    /// Loads the English model.
    ///
    /// - Parameter dataPath: the `tessdata` directory, or nil for Tesseract's
    ///   default (`TESSDATA_PREFIX`, else the path compiled into libtesseract).
    /// - Throws: `OCRError` with code `engineFailed` when the model cannot be
    ///   loaded.
    public init(dataPath: String? = nil) throws {
        tesseract = try Tesseract(dataPath: dataPath, language: "eng")
    }

    /// Reads an image.
    ///
    /// The header is checked against `limits.maxPixels` before any pixel is
    /// decoded; recognition runs under Tesseract's progress monitor with
    /// `limits.deadlineMilliseconds` for all passes together.
    ///
    /// - Parameters:
    ///   - image: the file's bytes, in any format `ImageProbe` accepts.
    ///   - mode: `digits` to read a number, `text` to read everything.
    /// - Throws: `OCRError`: `emptyFile`, `unsupportedFormat`, `tooLarge`,
    ///   `corruptImage`, `timeout` or `engineFailed`.
    public func read(
        _ image: [UInt8], mode: ReadMode = .digits, limits: ReadLimits = ReadLimits()
    ) throws -> Reading {
        let deadline = Deadline(milliseconds: limits.deadlineMilliseconds)
        let grey = try decode(image, limits: limits)
        defer { tesseract.clear() }

        var reading: Reading
        switch mode {
        case .text:
            let result = try run(Pass.text, on: grey, deadline: deadline)
            reading = Reading(
                text: result.text, confidence: result.confidence,
                width: grey.width, height: grey.height, strategy: Pass.text.name)
        case .digits:
            reading = try readDigits(grey, deadline: deadline)
        }
        reading.ocrMilliseconds = deadline.elapsedMilliseconds
        return reading
    }

    /// Checks the header, then decodes to 8-bit grey.
    func decode(_ image: [UInt8], limits: ReadLimits) throws -> Pix {
        let header = try ImageProbe.inspect(image)
        let (pixels, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw OCRError(
                .tooLarge,
                "\(header.format) of \(header.width)x\(header.height) pixels is over the "
                    + "limit of \(limits.maxPixels) pixels")
        }

        let decoded = try Pix.decode(image, format: header.format)
        return try decoded.grey()
    }

    /// Runs one pass over `image` and collects what Tesseract read.
    func run(
        _ pass: Pass, on image: Pix, deadline: Deadline, cache: ScaleCache = ScaleCache()
    ) throws -> PassResult {
        configure(pass)

        var target: Int?
        if case .textHeight(let height) = pass.scale {
            target = height
        }
        let (input, factor) = try cache.prepared(image, filter: pass.filter, toTextHeight: target)
        tesseract.setImage(input)
        try tesseract.recognize(deadline: deadline)

        return PassResult(
            pass: pass, words: tesseract.words(), text: tesseract.text().trimmingWhitespace(),
            confidence: tesseract.meanConfidence(), scale: factor)
    }

    /// Sets the Tesseract variables a pass needs, skipping those unchanged.
    func configure(_ pass: Pass) {
        if current?.segmentation != pass.segmentation {
            tesseract.setPageSegMode(pass.segmentation)
        }
        if current?.digitsOnly != pass.digitsOnly {
            tesseract.set("tessedit_char_whitelist", pass.digitsOnly ? "0123456789" : "")
        }
        if current?.threshold != pass.threshold {
            tesseract.set("thresholding_method", pass.threshold.rawValue)
        }
        current = (pass.segmentation, pass.digitsOnly, pass.threshold)
    }
}

extension String {
    /// Without leading and trailing spaces and line breaks.
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
