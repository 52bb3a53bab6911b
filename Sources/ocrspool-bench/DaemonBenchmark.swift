import Foundation
import OCRKit

/// `daemon DIR`: the whole `ocrspool-ocr` daemon on a spool of its own against
/// the reference way (the `tesseract` program once per image, in parallel) and
/// the bare C API ceiling, on the same images in the same run.
///
/// The daemon is timed from the first image renamed into `incoming/` to the last
/// result file, so the figure includes the spool's claims, fsyncs and renames.
struct DaemonBenchmark {
    var set: ImageSet
    var options: BenchOptions

    func run() throws {
        let images = set.images
        let threads = options.threads
        print("images: \(images.count) in \(set.directory), workers/threads: \(threads)")

        let (daemonRate, daemonCorrect) = try timeDaemon(images, workers: threads)
        let (references, programSeconds) = try ParallelRun.map(
            images, threads: threads, label: "tesseract x\(threads)", makeWorker: {},
            job: { _, image in
                ReferenceTesseract.read(image.path).map { Reading.digitGroups(in: $0).joined() }
            })
        let programRate = Double(images.count) / programSeconds
        let programCorrect = zip(images, references).filter { $0.0.expected == $0.1 }.count
        let (_, bareSeconds) = try ParallelRun.map(
            images, threads: threads, label: "bare C API", makeWorker: { try OCREngine() },
            job: { engine, image in _ = try? engine.bareRead(image.bytes) })
        let bareRate = Double(images.count) / bareSeconds

        func line(_ name: String, _ rate: Double, _ correct: Int?, of total: Int) {
            var text = name.padding(toLength: 46, withPad: " ", startingAt: 0)
                + String(format: "%7.1f images/s", rate)
            if let correct {
                text += String(format: "   accuracy %5.1f%% (%d/%d)",
                               100 * Double(correct) / Double(total), correct, total)
            }
            print(text)
        }
        line("ocrspool-ocr daemon, \(threads) workers", daemonRate, daemonCorrect, of: images.count)
        line("tesseract program, \(threads) in parallel", programRate, programCorrect,
             of: images.count)
        line("bare C API ceiling, \(threads) threads (no accuracy)", bareRate, nil, of: 0)
        print(String(format: "ratio daemon / tesseract program: %.1fx", daemonRate / programRate))
        print(String(format: "ratio daemon / bare C API: %.2f", daemonRate / bareRate))
    }

    /// Runs the daemon on a fresh spool, feeds it every image and waits for all
    /// results; returns images per second and how many read exactly.
    private func timeDaemon(_ images: [ImageSet.Image], workers: Int) throws -> (Double, Int) {
        let root = FileManager.default.temporaryDirectory.path + "/ocrspool-bench-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let spool = root + "/spool"
        for queue in ["tmp", "incoming", "processing", "done", "failed", "meta"] {
            try FileManager.default.createDirectory(
                atPath: spool + "/" + queue, withIntermediateDirectories: true)
        }

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: sibling("ocrspool-ocr"))
        daemon.arguments = ["--spool", spool, "--workers", String(workers)]
        let log = root + "/daemon.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        daemon.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try daemon.run()
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        guard waitFor(seconds: 60, { (try? String(contentsOfFile: log, encoding: .utf8))?
            .contains(" started ") == true })
        else { throw BenchError("ocrspool-ocr did not start; see \(log)") }

        // Staged in tmp/ and renamed in, as a careful writer does, so that no
        // image is read half-written and the clock covers only the daemon's work.
        let names = images.enumerated().map { index, image in
            String(format: "bench-%05d-", index)
                + URL(fileURLWithPath: image.path).lastPathComponent
        }
        for (name, image) in zip(names, images) {
            try Data(image.bytes).write(to: URL(fileURLWithPath: "\(spool)/tmp/\(name)"))
        }
        let started = Date()
        for name in names {
            rename("\(spool)/tmp/\(name)", "\(spool)/incoming/\(name)")
        }
        let progress = Progress(label: "ocrspool-ocr", total: images.count)
        let finished = waitFor(seconds: 600) {
            let count = resultCount(spool)
            progress.tick(count)
            return count >= images.count
        }
        let seconds = Date().timeIntervalSince(started)
        progress.finish()
        guard finished else { throw BenchError("daemon did not finish in 600 s; see \(log)") }

        var correct = 0
        for (name, image) in zip(names, images) {
            if digits(in: spool + "/done", endingWith: name) == image.expected { correct += 1 }
        }
        return (Double(images.count) / seconds, correct)
    }

    private func resultCount(_ spool: String) -> Int {
        ["done", "failed"].reduce(0) { total, queue in
            let directory = "\(spool)/\(queue)"
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return total + entries.filter { $0.hasSuffix(".json") }.count
        }
    }

    /// The `digits` of the result whose job name ends in `tail`.
    private func digits(in directory: String, endingWith tail: String) -> String? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard let entry = entries.first(where: { $0.hasSuffix("." + tail + ".json") }),
            let data = FileManager.default.contents(atPath: "\(directory)/\(entry)"),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["digits"] as? String
    }

    private func sibling(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name).path
    }

    private func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}
