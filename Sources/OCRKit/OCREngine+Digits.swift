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

    /// Every pass, for tuning (`OCREngine.readEveryPass`).
    static let all: [Pass] = [.line, .sauvola, .enlarged, .enlargedSauvola, .block, .text]
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
    ///    thresholding, enlargement) and the readings vote, weighted by
    ///    Tesseract's confidence.
    func readDigits(_ grey: Pix, deadline: Deadline) throws -> Reading {
        let cache = ScaleCache()
        let first = try run(.line, on: grey, deadline: deadline)
        cache.textHeight = first.textHeight > 0 ? first.textHeight : nil
        if first.numbers.count == 1, first.weakestDigitWord >= Self.acceptConfidence {
            return reading(first, image: grey, strategy: first.pass.name)
        }

        let block = try run(.block, on: grey, deadline: deadline)
        if let number = numberAmongWords(block) {
            return try readCrop(number, of: grey, deadline: deadline)
        }

        var results = [first]
        for pass in [Pass.sauvola, .enlarged, .enlargedSauvola] {
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
