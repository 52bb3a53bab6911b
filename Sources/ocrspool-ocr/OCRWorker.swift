import DaemonKit
import Foundation
import OCRKit
import SpoolKit
import Synchronization

/// What a worker needs to know, the same for every worker of a daemon.
struct WorkerSettings: Sendable {
    var mode: ReadMode
    var limits: ReadLimits
    var maxBytes: Int
    var hostLabel: String
}

/// One worker thread: it owns one Tesseract engine, loaded once, and reads one
/// job at a time from the work queue until the queue closes.
final class OCRWorker: @unchecked Sendable {
    let index: Int
    private let spool: Spool
    private let queue: WorkQueue
    private let settings: WorkerSettings
    private let logger: Logger
    private let finished = DispatchSemaphore(value: 0)
    /// When the job in hand was claimed (`DispatchTime` nanoseconds), 0 when idle.
    private let busySince = Atomic<UInt64>(0)

    init(index: Int, spool: Spool, queue: WorkQueue, settings: WorkerSettings, logger: Logger) {
        self.index = index
        self.spool = spool
        self.queue = queue
        self.settings = settings
        self.logger = logger
    }

    /// Starts the thread; `loaded` is called once its engine is ready (or failed).
    func start(loaded: @escaping @Sendable ((any Error)?) -> Void) {
        let thread = Thread { [self] in
            defer { finished.signal() }
            let engine: OCREngine
            do {
                engine = try OCREngine()
            } catch {
                loaded(error)
                return
            }
            loaded(nil)
            while let entry = queue.take() {
                handle(entry, engine: engine)
            }
        }
        thread.name = "ocrspool.worker.\(index)"
        // Tesseract recurses deeply on some layouts; give it a main-thread-sized stack.
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Seconds the worker has spent on its job in hand, or nil when it has none.
    var secondsOnCurrentJob: Double? {
        let since = busySince.load(ordering: .relaxed)
        guard since > 0 else { return nil }
        return Double(DispatchTime.now().uptimeNanoseconds - since) / 1e9
    }

    /// Waits up to `timeout` seconds for the thread to finish its job in hand.
    func join(timeout: Double) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }

    private func handle(_ entry: String, engine: OCREngine) {
        let outcome: ClaimOutcome
        do {
            outcome = try spool.claim(entry)
        } catch {
            logger.warning("claim failed", ["entry": entry, "error": error])
            return
        }
        switch outcome {
        case .claimed(let claim):
            busySince.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
            defer { busySince.store(0, ordering: .relaxed) }
            process(claim, engine: engine)
        case .busy:
            queue.addLater(entry, after: 0.05)
        case .refused(let name, let reason):
            logger.warning("entry refused", ["job": name, "entry": entry, "reason": reason])
        case .gone, .ignored:
            break
        }
    }

    private func process(_ claim: Claim, engine: OCREngine) {
        let result = read(claim, engine: engine)
        do {
            try spool.finish(claim, result: result)
        } catch {
            logger.error("job not finished", ["job": claim.name, "error": error])
            return
        }
        let milliseconds = Int(Date().timeIntervalSince(claim.startedAt) * 1000)
        if let failure = result.error {
            logger.info("job failed", [
                "job": claim.name, "outcome": "failed", "code": failure.code, "ms": milliseconds,
                "attempts": result.attempts, "message": failure.message,
            ])
        } else {
            logger.info("job done", [
                "job": claim.name, "outcome": "done", "digits": result.digits,
                "confidence": Int(result.confidence),
                "verified": result.verified.map { "\($0)" } ?? "-",
                "ms": milliseconds, "ocr_ms": Int(result.ocrMilliseconds ?? 0),
                "attempts": result.attempts, "strategy": result.strategy ?? "-",
            ])
        }
    }

    /// Reads the claimed image and builds its result; never throws: a job that
    /// cannot be read gets a failed result with the reason.
    private func read(_ claim: Claim, engine: OCREngine) -> JobResult {
        let meta = claim.meta
        let mode = meta.mode.flatMap(ReadMode.init(rawValue:)) ?? settings.mode
        let attempts = meta.crashes + 1
        func failure(_ code: String, _ message: String) -> JobResult {
            var result = JobResult.failure(claim.name, meta: meta, code: code, message: message,
                                           attempts: attempts)
            result.mode = mode.rawValue
            result.startedAt = claim.startedAt
            result.worker = settings.hostLabel
            return result
        }

        let bytes: [UInt8]
        do {
            bytes = try claim.readImage(limit: settings.maxBytes)
        } catch let error as SystemError where error.errno == EFBIG {
            return failure(
                "too_large",
                "the file has \(claim.size) bytes, over the limit of \(settings.maxBytes)")
        } catch {
            return failure("read_failed", "\(error)")
        }

        let reading: Reading
        do {
            reading = try engine.read(bytes, mode: mode, limits: settings.limits)
        } catch let error as OCRError {
            return failure(error.code.rawValue, error.message)
        } catch {
            return failure("engine_failed", "\(error)")
        }

        var result = JobResult(
            id: claim.name.string, status: .done, mode: mode.rawValue, text: reading.text,
            digits: reading.digits, numbers: reading.numbers, confidence: reading.confidence,
            expected: meta.expected, source: meta.source, submittedAt: meta.submittedAt,
            attempts: attempts)
        result.carry(meta)
        result.startedAt = claim.startedAt
        result.ocrMilliseconds = (reading.ocrMilliseconds * 10).rounded() / 10
        result.width = reading.width
        result.height = reading.height
        result.strategy = reading.strategy
        result.worker = settings.hostLabel
        return result
    }
}
