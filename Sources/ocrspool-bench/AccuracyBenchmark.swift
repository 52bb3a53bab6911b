import Foundation
import OCRKit

/// `accuracy DIR`: exact-number accuracy of OCRKit's digits mode per kind
/// and overall, beside the reference's (`tesseract IMG stdout`, digits
/// extracted).
struct AccuracyBenchmark {
    /// One image's outcome.
    struct Outcome: Sendable {
        var got: String
        var strategy: String
        var milliseconds: Double
        var reference: String?
    }

    var set: ImageSet
    var options: BenchOptions

    func run() throws {
        let images = set.images
        let (outcomes, seconds) = try ParallelRun.map(
            images, threads: options.threads, label: "ocrkit",
            makeWorker: { try OCREngine() },
            job: { engine, image in
                do {
                    let reading = try engine.read(image.bytes, mode: .digits)
                    return Outcome(
                        got: reading.digits, strategy: reading.strategy,
                        milliseconds: reading.ocrMilliseconds)
                } catch {
                    return Outcome(got: "", strategy: "error:\(error)", milliseconds: 0)
                }
            })

        var references: [String?] = Array(repeating: nil, count: images.count)
        if options.reference {
            (references, _) = try ParallelRun.map(
                images, threads: options.threads, label: "reference",
                makeWorker: {},
                job: { _, image in
                    ReferenceTesseract.read(image.path).map {
                        Reading.digitGroups(in: $0).joined()
                    }
                })
        }

        print("images: \(images.count) in \(set.directory), threads: \(options.threads), "
            + String(format: "ocrkit %.1f images/s", Double(images.count) / seconds))
        report(images: images, outcomes: outcomes, references: references)
    }

    /// Prints the per-kind table, strategy counts and optionally the misses.
    private func report(
        images: [ImageSet.Image], outcomes: [Outcome], references: [String?]
    ) {
        let header = ["kind", "images", "ocrkit", "reference", "mean ms", "max ms"]
        print(header.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }
            .joined())
        for kind in set.kinds + ["overall"] {
            let indices = images.indices.filter { kind == "overall" || images[$0].kind == kind }
            let right = indices.filter { outcomes[$0].got == images[$0].expected }.count
            let referenceRight = indices.filter { references[$0] == images[$0].expected }.count
            let times = indices.map { outcomes[$0].milliseconds }
            let row = [
                kind, "\(indices.count)", percent(right, indices.count),
                options.reference ? percent(referenceRight, indices.count) : "-",
                String(format: "%.1f", times.reduce(0, +) / Double(max(1, times.count))),
                String(format: "%.1f", times.max() ?? 0),
            ]
            print(row.map { $0.padding(toLength: 12, withPad: " ", startingAt: 0) }.joined())
        }

        var strategies: [String: (count: Int, right: Int)] = [:]
        for (image, outcome) in zip(images, outcomes) {
            let name = outcome.strategy.hasPrefix("error:") ? "error" : outcome.strategy
            strategies[name, default: (0, 0)].count += 1
            if outcome.got == image.expected { strategies[name, default: (0, 0)].right += 1 }
        }
        print("strategies (images, right):")
        for (name, tally) in strategies.sorted(by: { $0.value.count > $1.value.count }) {
            print("  \(name): \(tally.count), \(tally.right)")
        }

        guard options.failures else { return }
        print("misread:")
        for (image, outcome) in zip(images, outcomes) where outcome.got != image.expected {
            print("  \((image.path as NSString).lastPathComponent)\twant \(image.expected)"
                + "\tgot \(outcome.got)\t\(outcome.strategy)")
        }
    }

    private func percent(_ part: Int, _ whole: Int) -> String {
        String(format: "%.1f%%", 100 * Double(part) / Double(max(1, whole)))
    }
}
