#if canImport(Glibc)
import Glibc
#endif
import DaemonKit
import Foundation
import HTTPKit
import SpoolKit
import Synchronization

/// `POST /api/image/process`: streams one image into the spool as a new job.
///
/// The body is a `multipart/form-data` form with an `imageData` file field (and
/// optional `expected` and `mode` fields), or the image itself. Its bytes go to
/// `tmp/` as they arrive, through a `JobWriter` opened only once the first bytes
/// show an image signature; the job is fsynced and renamed into `incoming/` after
/// the last byte, when the image is seen to be whole. Any refusal, and any
/// client that goes away, aborts the writer, so nothing is left in any queue.
final class UploadExchange: APIExchange {
    private enum Body {
        case raw
        case multipart(MultipartReader)
    }

    /// Bytes needed before the image's type is judged.
    private static let sniffLength = 16
    /// Longest `expected` or `mode` value accepted.
    private static let fieldLimit = 256

    private var body = Body.raw
    private var writer: JobWriter?
    private var format: ImageFormat?
    private var pending: [UInt8] = []
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private var jpegEnd = JPEGEndScanner()
    private var bodyBytes = 0
    private var imageBytes = 0
    private var imageSeen = false
    private var originalName: String?
    private var fields: [String: [UInt8]] = [:]
    private var job: JobName?
    private var refusal: APIError?
    private var wait = 0.0
    private var ticket: ResultWaiters.Ticket?
    /// The commit's outcome, set on the commit queue, read after the wake.
    private let commitOutcome = CommitOutcome()

    init(service: UploadService, request: HTTPRequest) {
        super.init(service: service, request: request, route: "upload")
    }

    private var config: UploadConfig { service.config }

    override func handle(_ event: HTTPEvent) -> HTTPReply {
        switch event {
        case .start: return begin()
        case .body(let bytes): return receive(bytes)
        case .end: return end()
        case .resumed: return job == nil ? committed() : answer()
        }
    }

    /// Refuses what the head alone shows to be unacceptable, before any byte is read.
    private func begin() -> HTTPReply {
        guard let wait = waitSeconds() else {
            return refuse(APIError(400, "bad_wait", "wait must be a number of seconds"))
        }
        self.wait = wait
        let length = request.contentLength
        if let length, length > config.maxBytes {
            return refuse(tooLarge())
        }
        if length == 0 {
            return refuse(APIError(400, "empty_body", "the request has no body"))
        }
        if let free = try? DiskSpace.available(at: service.spool.root),
            free - (length ?? 0) < config.minFree
        {
            return refuse(APIError(
                507, "insufficient_storage", "the spool's disk is nearly full; try later",
                retryAfter: 60))
        }
        if service.queueDepth() > config.maxQueue {
            return refuse(APIError(
                503, "queue_full", "too many images are waiting; try again shortly",
                retryAfter: 5))
        }
        for name in ["expected", "mode"] {
            if let value = request.query[name] { fields[name] = Array(value.utf8) }
        }

        switch request.mediaType {
        case "multipart/form-data":
            let reader = MultipartReader(request: request) { [unowned self] part, bytes in
                try self.part(part, bytes)
            }
            guard let reader else {
                return refuse(APIError(400, "bad_multipart", "the multipart boundary is missing"))
            }
            body = .multipart(reader)
        case nil, "application/octet-stream":
            body = .raw
        case let type? where type.hasPrefix("image/"):
            body = .raw
        case let type?:
            return refuse(APIError(
                415, "unsupported_media_type",
                "\(type) is not accepted; send multipart/form-data with an imageData field, "
                    + "or the image itself"))
        }
        return .proceed
    }

    private func receive(_ bytes: UnsafeRawBufferPointer) -> HTTPReply {
        bodyBytes += bytes.count
        guard bodyBytes <= config.maxBytes else { return refuse(tooLarge()) }
        do {
            switch body {
            case .raw: try image(bytes)
            case .multipart(let reader): try reader.feed(bytes)
            }
        } catch {
            return refuse(apiError(error))
        }
        return .proceed
    }

    /// One decoded chunk of a form field.
    private func part(_ part: MultipartReader.Part, _ bytes: UnsafeRawBufferPointer) throws {
        switch part.field {
        case "imageData":
            if part.offset == 0, imageBytes > 0 {
                throw APIError(400, "duplicate_field", "send one imageData field per request")
            }
            imageSeen = true
            if let filename = part.filename, originalName == nil {
                originalName = String(filename.split(separator: "/").last ?? "").prefix(200)
                    .description
            }
            try image(bytes)
        case "expected", "mode":
            // A form field replaces the same field given in the query string.
            if part.offset == 0 { fields[part.field] = [] }
            fields[part.field, default: []] += bytes
            guard fields[part.field, default: []].count <= UploadExchange.fieldLimit else {
                throw APIError(400, "field_too_long", "\(part.field) is too long")
            }
        default:
            break
        }
    }

    /// Image bytes: held until the type can be judged, then streamed to `tmp/`.
    private func image(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        imageBytes += bytes.count
        guard imageBytes <= config.maxBytes else { throw tooLarge() }
        if head.count < ImageFormat.headLength {
            head += bytes.prefix(ImageFormat.headLength - head.count)
        }
        tail = Array((tail + bytes.suffix(ImageFormat.tailLength)).suffix(ImageFormat.tailLength))

        if let writer {
            if format == .jpeg { jpegEnd.feed(bytes) }
            try writer.write(bytes)
            return
        }
        pending += bytes
        if pending.count >= UploadExchange.sniffLength { try open() }
    }

    /// Judges the held bytes and starts the job; nothing is written for a non-image.
    private func open() throws {
        guard let format = ImageFormat.sniff(pending) else {
            throw APIError(
                415, "not_an_image",
                "the data is not a PNG, JPEG, GIF, BMP, TIFF, WebP or PNM image")
        }
        self.format = format
        let writer = try service.spool.beginJob(tail: format.fileExtension)
        self.writer = writer
        if format == .jpeg { pending.withUnsafeBytes { jpegEnd.feed($0) } }
        try writer.write(pending)
        pending = []
    }

    private func end() -> HTTPReply {
        do {
            if case .multipart(let reader) = body {
                try reader.finish()
                guard imageSeen else {
                    throw APIError(400, "missing_field", "the form has no imageData field")
                }
            }
            if writer == nil {
                guard !pending.isEmpty else {
                    throw APIError(400, "empty_image", "the image is empty")
                }
                try open()
            }
            guard let writer, let format else { preconditionFailure("open made a writer") }
            guard format.isComplete(head: head, tail: tail, size: imageBytes, jpegEnd: jpegEnd)
            else {
                throw APIError(400, "truncated_image", "the \(format.rawValue) image is cut short")
            }
            let meta = JobMeta(
                source: .http, expected: try expected(), mode: try mode(),
                originalName: originalName)
            return commit(writer, meta: meta, format: format)
        } catch {
            return refuse(apiError(error))
        }
    }

    /// Fsyncs and publishes the job on the commit queue and parks the request
    /// until that is done. The writer is the queue's from here: a client that
    /// goes away meanwhile still gets its job, which is logged as accepted.
    private func commit(_ writer: JobWriter, meta: JobMeta, format: ImageFormat) -> HTTPReply {
        self.writer = nil
        let handoff = WriterHandoff(writer: writer)
        let (service, waker, outcomeBox) = (service, request.waker, commitOutcome)
        let (bytes, wait) = (imageBytes, wait)
        service.commits.async {
            let outcome = Result { try handoff.writer.commit(meta: meta) }
            if case .success(let name) = outcome {
                service.metrics.accepted(bytes: bytes)
                service.logger.info(
                    "upload accepted",
                    ["job": name, "bytes": bytes, "format": format.rawValue, "wait": wait])
            }
            outcomeBox.value.withLock { $0 = outcome }
            waker.wake()
        }
        return .suspend
    }

    /// Resumed once the commit is done: answers, or waits for the result.
    private func committed() -> HTTPReply {
        guard let outcome = commitOutcome.value.withLock({ $0 }) else { return .suspend }
        switch outcome {
        case .success(let name):
            job = name
            return waitOrAnswer(name)
        case .failure(let error):
            return refuse(apiError(error))
        }
    }

    /// Answers 202 at once, or parks the request until the result lands.
    private func waitOrAnswer(_ name: JobName) -> HTTPReply {
        guard wait > 0 else { return respond(stateResponse(name, .queued, pendingStatus: 202)) }
        // Registered before looking, so a result landing in between wakes us.
        ticket = service.waiters.add(name, request.waker, timeout: wait)
        if case .finished = service.state(of: name) { return answer() }
        return .suspend
    }

    private func answer() -> HTTPReply {
        if let ticket { service.waiters.remove(ticket) }
        ticket = nil
        guard let job else { preconditionFailure("resumed before the job was made") }
        return respond(stateResponse(job, service.state(of: job), pendingStatus: 202))
    }

    /// The number to verify: digits with optional separators, or nil.
    private func expected() throws -> String? {
        guard let bytes = fields["expected"] else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        let allowed = Set("0123456789 .,-/")
        guard text.count <= 64, text.allSatisfy(allowed.contains), text.contains(where: \.isNumber)
        else {
            throw APIError(400, "bad_expected", "expected must be a number")
        }
        return text.filter(\.isNumber)
    }

    private func mode() throws -> String? {
        guard let bytes = fields["mode"] else { return nil }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        guard text == "digits" || text == "text" else {
            throw APIError(400, "bad_mode", "mode must be digits or text")
        }
        return text
    }

    private func tooLarge() -> APIError {
        APIError(413, "too_large", "the body is larger than \(config.maxBytes) bytes")
    }

    /// The answer for a failure while reading or writing.
    private func apiError(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case is MultipartReader.Failure:
            return APIError(400, "bad_multipart", "the multipart body is malformed")
        case let error as SystemError where error.errno == ENOSPC || error.errno == EDQUOT:
            return APIError(507, "insufficient_storage", "the spool's disk is full")
        default:
            service.logger.error("spool write failed", ["error": error])
            return APIError(500, "spool_error", "the image could not be stored")
        }
    }

    /// Drops the staged image and answers `error`.
    private func refuse(_ error: APIError) -> HTTPReply {
        writer?.abort()
        writer = nil
        pending = []
        refusal = error
        service.metrics.refused(error.code)
        service.logger.info(
            "upload refused", ["reason": error.code, "status": error.status, "bytes": bodyBytes])
        return respond(error)
    }

    override func finish(aborted: Bool) {
        if let ticket { service.waiters.remove(ticket) }
        writer?.abort()
        writer = nil
        let accepted = commitOutcome.value.withLock { outcome in
            if case .success = outcome { return true } else { return false }
        }
        if aborted, job == nil, refusal == nil, !accepted {
            service.metrics.refused("aborted")
            service.logger.info("upload aborted", ["bytes": bodyBytes])
        }
    }
}

/// Where a commit running on the commit queue leaves its outcome.
private final class CommitOutcome: Sendable {
    let value = Mutex<Result<JobName, any Error>?>(nil)
}

/// A writer handed to the commit queue; the exchange no longer touches it.
private struct WriterHandoff: @unchecked Sendable {
    let writer: JobWriter
}
