import Foundation
import OCRKit

/// `passes DIR`: every digit pass of OCRKit on every image, as TSV, for
/// tuning the strategy offline: file, kind, expected, then for each pass
/// name, digits read, confidence and milliseconds.
struct PassesDump {
    var set: ImageSet

    func run() throws {
        let (rows, _) = try ParallelRun.map(
            set.images, threads: 2, label: "passes",
            makeWorker: { try OCREngine() },
            job: { engine, image -> String in
                var fields = [(image.path as NSString).lastPathComponent, image.kind,
                              image.expected]
                do {
                    for reading in try engine.readEveryPass(image.bytes) {
                        fields += [reading.strategy, reading.digits,
                                   String(format: "%.0f", reading.confidence),
                                   String(format: "%.1f", reading.ocrMilliseconds),
                                   "\(reading.numbers.count)"]
                    }
                } catch {
                    fields.append("error: \(error)")
                }
                return fields.joined(separator: "\t")
            })
        for row in rows { print(row) }
    }
}
