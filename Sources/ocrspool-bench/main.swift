// ocrspool-bench: measures OCRKit against the reference way of running
// Tesseract (one `tesseract` process per image) on a directory of images
// described by a `manifest.tsv` (see scripts/make-test-images).
//
//   ocrspool-bench accuracy DIR [--threads N] [--no-reference] [--failures]
//   ocrspool-bench throughput DIR [--threads N] [--limit N]
//   ocrspool-bench passes DIR          every digit pass per image, as TSV
//   ocrspool-bench daemon DIR [--threads N] the ocrspool-ocr daemon on a spool

#if canImport(Glibc)
import Glibc
#endif

let usage = """
    usage: ocrspool-bench accuracy DIR [--threads N] [--no-reference] [--failures]
           ocrspool-bench throughput DIR [--threads N] [--limit N]
           ocrspool-bench passes DIR
           ocrspool-bench daemon DIR
    """

BenchEnvironment.ensureSingleThreadedOpenMP()

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else {
    printError(usage)
    exit(2)
}
do {
    let options = try BenchOptions(arguments.dropFirst(2))
    let set = try ImageSet(directory: arguments[1], limit: options.limit)
    switch arguments[0] {
    case "accuracy":
        try AccuracyBenchmark(set: set, options: options).run()
    case "throughput":
        try ThroughputBenchmark(set: set, options: options).run()
    case "passes":
        try PassesDump(set: set).run()
    case "daemon":
        try DaemonBenchmark(set: set, options: options).run()
    default:
        printError(usage)
        exit(2)
    }
} catch {
    printError("ocrspool-bench: \(error)")
    exit(1)
}
