import CTesseract

extension Pass {
    /// The cheap first pass: one line, digits only, as decoded.
    static let line = Pass(name: "line", segmentation: PSM_SINGLE_LINE, digitsOnly: true)
    /// Local thresholding for textured or unevenly lit backgrounds.
    static let sauvola = Pass(
        name: "sauvola", segmentation: PSM_SINGLE_LINE, digitsOnly: true, threshold: .sauvola)
    /// Enlarged small or noisy print, global threshold.
    static let enlarged = Pass(
        name: "enlarged", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        scale: .textHeight(48))
    /// Enlarged and locally thresholded.
    static let enlargedSauvola = Pass(
        name: "enlarged-sauvola", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        threshold: .sauvola, scale: .textHeight(48))
    /// All characters in a block: finds a number among words.
    static let block = Pass(name: "block", segmentation: PSM_SINGLE_BLOCK, digitsOnly: false)
    /// The reference's reading: automatic page segmentation, all characters.
    static let text = Pass(name: "text", segmentation: PSM_AUTO, digitsOnly: false)

    /// Digits in a block of lines.
    static let blockDigits = Pass(
        name: "block-digits", segmentation: PSM_SINGLE_BLOCK, digitsOnly: true)
    /// Digits anywhere, in no order (sparse text).
    static let sparseDigits = Pass(
        name: "sparse-digits", segmentation: PSM_SPARSE_TEXT, digitsOnly: true)
    /// Median-filtered and enlarged: grain and speckle.
    static let medianEnlarged = Pass(
        name: "median-enlarged", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        scale: .textHeight(48), filter: .median)
    /// Background flattened: faint print, uneven light.
    static let flattened = Pass(
        name: "flattened", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        filter: .flatten)
    /// Background flattened and enlarged.
    static let flattenedEnlarged = Pass(
        name: "flattened-enlarged", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        scale: .textHeight(48), filter: .flatten)
    /// Enlarged more, local threshold.
    static let enlarged64Sauvola = Pass(
        name: "enlarged64-sauvola", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        threshold: .sauvola, scale: .textHeight(64))
    /// Raw line: no layout analysis at all.
    static let rawLine = Pass(
        name: "raw-line", segmentation: PSM_RAW_LINE, digitsOnly: true)

    /// Smoothed: grain and JPEG blocks.
    static let smoothed = Pass(
        name: "smoothed", segmentation: PSM_SINGLE_LINE, digitsOnly: true, filter: .smooth)
    /// Smoothed more.
    static let smoothedMore = Pass(
        name: "smoothed-more", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        filter: .smoothMore)
    /// Smoothed, then enlarged.
    static let smoothedEnlarged = Pass(
        name: "smoothed-enlarged", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        scale: .textHeight(48), filter: .smooth)
    /// Smoothed, local threshold.
    static let smoothedSauvola = Pass(
        name: "smoothed-sauvola", segmentation: PSM_SINGLE_LINE, digitsOnly: true,
        threshold: .sauvola, filter: .smooth)

    /// The passes run when the first is not convincing, each suited to one
    /// kind of damage; their readings vote. Chosen on a generated set of 600
    /// hard and easy images (`ocrspool-bench passes`), as the smallest set
    /// within a fraction of a percent of the best combination found.
    static let escalation: [Pass] = [
        .sauvola, .enlarged, .smoothed, .smoothedSauvola, .medianEnlarged,
    ]

    /// Every pass, for tuning (`OCREngine.readEveryPass`).
    static let all: [Pass] = [
        .line, .sauvola, .enlarged, .enlargedSauvola, .block, .text, .blockDigits,
        .sparseDigits, .medianEnlarged, .flattened, .flattenedEnlarged,
        .enlarged64Sauvola, .smoothed, .smoothedMore, .smoothedEnlarged, .smoothedSauvola,
    ]
}

extension OCREngine {
    /// Confidence above which the first pass is accepted on its own.
    static let acceptConfidence = 88.0

    /// Reads one number.
    ///
    /// 1. `line`: one line, digits only. Accepted when it holds one group of
    ///    digits read with high confidence, the common case.
    /// 2. `block`: all characters, to see whether the number stands among
    ///    words. If it does, the number's own box is cut out and read with
    ///    digits only, so that letters are never forced into digits.
    /// 3. Otherwise the digit passes that suit hard images run (local
    ///    thresholding for textured backgrounds, enlargement for small print,
    ///    smoothing and median filtering for grain and faint print) and all
    ///    readings vote, each weighted by Tesseract's confidence in it.
    func readDigits(_ grey: Pix, deadline: Deadline) throws -> Reading {
        let cache = ScaleCache()
        let first = try run(.line, on: grey, deadline: deadline)
        cache.textHeight = first.textHeight > 0 ? first.textHeight : nil
        if first.numbers.count == 1, first.weakestDigitWord >= Self.acceptConfidence {
            return reading(first, image: grey, strategy: first.pass.name)
        }

        let block = try run(.block, on: grey, deadline: deadline)
        if let number = numberAmongWords(block) {
            let crop = try readCrop(number, of: grey, deadline: deadline)
            // Letters seen in noise are no proof of words; with no digits in
            // the box, treat the image as a bare number after all.
            if !crop.digits.isEmpty {
                return crop
            }
        }

        var results = [first]
        for pass in Pass.escalation {
            results.append(try run(pass, on: grey, deadline: deadline, cache: cache))
        }
        return vote(results, image: grey)
    }

    /// The word that holds the number when `block` read words around it.
    private func numberAmongWords(_ block: PassResult) -> Tesseract.Word? {
        let letters = block.words.filter { word in
            word.text.filter(\.isLetter).count >= 2
                && word.text.filter(\.isASCIIDigit).isEmpty
        }
        guard !letters.isEmpty else { return nil }
        return block.words
            .filter { $0.text.filter(\.isASCIIDigit).count >= 2 }
            .max { $0.text.filter(\.isASCIIDigit).count < $1.text.filter(\.isASCIIDigit).count }
    }

    /// Reads a word's box with the digit passes and keeps the surer reading.
    private func readCrop(
        _ word: Tesseract.Word, of image: Pix, deadline: Deadline
    ) throws -> Reading {
        // A margin of a third of the height stays inside the gap between
        // words; a wider one lets the neighbours' letters in.
        let height = word.bottom - word.top
        let margin = max(4, height / 3)
        let crop = try image.cropped(
            x: word.left - margin, y: word.top - margin,
            width: word.right - word.left + 2 * margin, height: height + 2 * margin)

        let cache = ScaleCache()
        cache.textHeight = height
        var results: [PassResult] = []
        for pass in [Pass.line, .enlarged] {
            results.append(try run(pass, on: crop, deadline: deadline, cache: cache))
        }
        var chosen = vote(results, image: image)
        chosen.strategy = "words>" + chosen.strategy
        return chosen
    }

    /// The digit string most passes agree on, weighted by confidence.
    func vote(_ results: [PassResult], image: Pix) -> Reading {
        var scores: [String: (score: Double, best: PassResult, names: [String])] = [:]
        for result in results where !result.numbers.isEmpty {
            let key = result.numbers.joined()
            let weight = result.weakestDigitWord
            if var entry = scores[key] {
                entry.score += weight
                entry.names.append(result.pass.name)
                if weight > entry.best.weakestDigitWord { entry.best = result }
                scores[key] = entry
            } else {
                scores[key] = (weight, result, [result.pass.name])
            }
        }
        guard let winner = scores.values.max(by: { $0.score < $1.score }) else {
            let first = results[0]
            return reading(first, image: image, strategy: first.pass.name)
        }
        let strategy = winner.names.count > 1
            ? "vote:" + winner.names.joined(separator: "+") : winner.names[0]
        return reading(winner.best, image: image, strategy: strategy)
    }

    /// A `Reading` of a pass result.
    func reading(_ result: PassResult, image: Pix, strategy: String) -> Reading {
        Reading(
            text: result.text, confidence: result.confidence,
            width: image.width, height: image.height, strategy: strategy)
    }

    /// Runs every pass of `Pass.all` on its own, for tuning the strategy.
    ///
    /// Each reading's `strategy` names its pass.
    public func readEveryPass(
        _ image: [UInt8], limits: ReadLimits = ReadLimits()
    ) throws -> [Reading] {
        let grey = try decode(image, limits: limits)
        defer { tesseract.clear() }
        let cache = ScaleCache()

        var readings: [Reading] = []
        for pass in Pass.all {
            let started = Deadline(milliseconds: limits.deadlineMilliseconds)
            let result = try run(pass, on: grey, deadline: started, cache: cache)
            if pass == .line, result.textHeight > 0 {
                cache.textHeight = result.textHeight
            }
            var reading = reading(result, image: grey, strategy: pass.name)
            reading.confidence = pass.digitsOnly ? result.weakestDigitWord : result.confidence
            reading.ocrMilliseconds = started.elapsedMilliseconds
            readings.append(reading)
        }
        return readings
    }
}
