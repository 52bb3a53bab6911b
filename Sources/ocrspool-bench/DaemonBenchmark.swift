/// `daemon DIR`: will time the `ocrspool-ocr` daemon on a spool: run
/// `ocrspool init --spool SPOOL`, start `ocrspool-ocr --spool SPOOL --workers
/// N`, copy the images into `SPOOL/incoming/`, wait for every
/// `SPOOL/done/NAME.json` (or `failed/`), stop the daemon with SIGTERM, and
/// report images/s and accuracy from the JSON results.
struct DaemonBenchmark {
    var set: ImageSet
    var options: BenchOptions

    func run() throws {
        // XXX: the daemon benchmark waits for ocrspool-ocr to exist.
        throw BenchError("daemon benchmark not built yet")
    }
}
