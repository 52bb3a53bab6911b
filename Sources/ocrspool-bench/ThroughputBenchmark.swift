import Foundation
import OCRKit

/// `throughput DIR`: images per second of (a) the `tesseract` program once
/// per image, one and two at a time, (b) the bare C API on loaded engines,
/// (c) `OCREngine.read` in digits mode, with ratios.
struct ThroughputBenchmark {
    var set: ImageSet
    var options: BenchOptions

    func run() throws {
        let images = set.images
        let threads = options.threads
        print("images: \(images.count) in \(set.directory)")

        // The program is slow; a sample of the set is enough for its rate.
        let sample = Array(images.prefix(60))
        let programOne = try rate(sample, threads: 1, label: "tesseract x1") { _, image in
            _ = ReferenceTesseract.read(image.path)
        }
        let programMany = try rate(sample, threads: threads, label: "tesseract x\(threads)") {
            _, image in _ = ReferenceTesseract.read(image.path)
        }
        let bare = try rate(images, threads: threads, label: "bare C API", engine: true) {
            engine, image in _ = try? engine!.bareRead(image.bytes)
        }
        let ocrkitOne = try rate(images, threads: 1, label: "ocrkit x1", engine: true) {
            engine, image in _ = try? engine!.read(image.bytes, mode: .digits)
        }
        let ocrkit = try rate(
            images, threads: threads, label: "ocrkit x\(threads)", engine: true
        ) { engine, image in _ = try? engine!.read(image.bytes, mode: .digits)
        }

        func line(_ name: String, _ value: Double) {
            print(name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: "%7.1f images/s", value))
        }
        line("(a) tesseract program, 1 at a time", programOne)
        line("(a) tesseract program, \(threads) in parallel", programMany)
        line("(b) bare C API, \(threads) threads", bare)
        line("(c) OCRKit read (digits), 1 thread", ocrkitOne)
        line("(c) OCRKit read (digits), \(threads) threads", ocrkit)
        print(String(format: "ratio (c)/(a) at %d: %.1fx, (c)/(b): %.2f",
            threads, ocrkit / programMany, ocrkit / bare))
        print(String(format: "ratio (c) %d threads / (a) 1 process: %.1fx",
            threads, ocrkit / programOne))
    }

    /// Images per second of `job` over `images` on `threads` threads, each
    /// with its own engine when `engine` is true.
    private func rate(
        _ images: [ImageSet.Image], threads: Int, label: String, engine: Bool = false,
        job: @escaping @Sendable (inout OCREngine?, ImageSet.Image) -> Void
    ) throws -> Double {
        let (_, seconds) = try ParallelRun.map(
            images, threads: threads, label: label,
            makeWorker: { engine ? try OCREngine() : nil },
            job: job)
        return Double(images.count) / seconds
    }
}
