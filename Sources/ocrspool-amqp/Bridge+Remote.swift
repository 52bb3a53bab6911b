#if canImport(Glibc)
import Glibc
#endif
import AMQPKit
import DaemonKit
import Foundation
import SpoolKit

/// Remote mode: the bridge is a worker of its own spool whose reading happens on
/// other hosts. It claims jobs from `incoming/` like an OCR worker (holding the
/// claim's lock, so a killed bridge's jobs go back), sends each image to the
/// shared work queue with `reply_to` set to its own reply queue, and finishes
/// the job with the result that comes back.
extension Bridge {
    /// Claims jobs up to the in-flight limit and sends them to the work queue;
    /// sends again the held jobs whose last send was not confirmed, or whose
    /// answer is later than `--remote-timeout` (a reader that lost the job).
    func sendWork(_ connection: AMQPConnection) throws {
        let stale = Date().addingTimeInterval(-settings.remoteTimeout)
        for (name, claim) in held where (sentWork[name] ?? .distantPast) < stale {
            if sentWork[name] != nil {
                logger.warning("no answer in time, sending again", ["job": name])
            }
            try send(claim, connection)
        }
        guard held.count < settings.remoteInFlight, Date() >= workRefusedUntil else { return }
        let hinted = incomingHint.exchange(false, ordering: .acquiringAndReleasing)
        guard hinted || Date().timeIntervalSince(lastIncomingScan) > 1 else { return }
        lastIncomingScan = Date()

        for entry in try spool.jobs(in: .incoming).sorted() {
            guard held.count < settings.remoteInFlight else {
                // More wait: look again on the next turn.
                incomingHint.store(true, ordering: .releasing)
                break
            }
            guard case .claimed(let claim) = try spool.claim(entry) else { continue }
            held[claim.name] = claim
            try send(claim, connection)
        }
    }

    private func send(_ claim: Claim, _ connection: AMQPConnection) throws {
        let image: [UInt8]
        do {
            image = try claim.readImage(limit: settings.maxImageBytes)
        } catch let error as SystemError where error.errno == EFBIG {
            failHeld(claim, code: "too_large", message: "larger than --max-bytes: \(error)")
            return
        } catch {
            failHeld(claim, code: "unreadable", message: "cannot read the image: \(error)")
            return
        }
        var headers: [String: AMQPValue] = ["source": .string(claim.meta.source.rawValue)]
        if let expected = claim.meta.expected { headers["expected"] = .string(expected) }
        if let mode = claim.meta.mode { headers["mode"] = .string(mode) }
        if let original = claim.meta.originalName { headers["original_name"] = .string(original) }
        let properties = AMQPProperties(
            contentType: "application/octet-stream", deliveryMode: AMQPProperties.persistent,
            correlationID: claim.name.string, replyTo: settings.replyQueue,
            messageID: claim.name.string, headers: headers)
        let sequence = try connection.publish(
            routingKey: settings.workQueue, properties: properties, body: image,
            mandatory: true, channel: Channel.publish)
        unconfirmed[sequence] = .work(claim.name)
        sentWork[claim.name] = Date()
    }

    /// A confirm for a work message: nothing to do unless it was refused.
    func confirmedWork(_ name: JobName, ack: Bool, returned: Bool) {
        guard ack, !returned else {
            // Not queued anywhere: give the job back to the spool for a later try.
            logger.warning("work not accepted", [
                "job": name, "queue": settings.workQueue, "retry_in": "\(workRefusalBackoff)s",
            ])
            sentWork.removeValue(forKey: name)
            if let claim = held.removeValue(forKey: name) { try? spool.release(claim) }
            workRefusedUntil = Date().addingTimeInterval(workRefusalBackoff)
            workRefusalBackoff = min(workRefusalBackoff * 2, 30)
            incomingHint.store(true, ordering: .releasing)
            return
        }
        workRefusalBackoff = 1
        totals.withLock { $0.sentRemote += 1 }
        logger.debug("job sent for remote reading", ["job": name])
    }

    /// Finishes the job a reply is for, then acknowledges the reply.
    ///
    /// A reply for a job this bridge no longer holds (it was handed back on a
    /// stop) finishes it if it is still in `incoming/`; otherwise it is a
    /// duplicate of an answer already used and is dropped.
    func receiveReply(_ delivery: AMQPDelivery, _ connection: AMQPConnection) throws {
        // Acknowledged only once the job is finished (or the reply is useless):
        // a failure here drops the connection and the broker redelivers it.
        let acknowledge = { try connection.ack(delivery.deliveryTag, channel: delivery.channel) }
        guard let id = delivery.properties.correlationID, let name = JobName(id) else {
            logger.warning("reply without a job id dropped", ["queue": settings.replyQueue])
            try acknowledge()
            return
        }
        var claim = held.removeValue(forKey: name)
        if claim == nil, case .claimed(let taken) = try spool.claim(name.string) {
            claim = taken
        }
        guard let claim else {
            logger.debug("reply for a job not held dropped", ["job": name])
            try acknowledge()
            return
        }
        sentWork.removeValue(forKey: name)
        let remote = RemoteResult.decode(delivery, id: name.string, meta: claim.meta)
        var result = remote
        result.id = name.string
        result.source = claim.meta.source
        result.submittedAt = claim.meta.submittedAt
        result.expected = claim.meta.expected
        result.verified = JobResult.verify(
            expected: claim.meta.expected, digits: remote.digits, numbers: remote.numbers)
        result.carry(claim.meta)
        result.startedAt = claim.startedAt
        result.finishedAt = Date()
        result.attempts = claim.meta.crashes + max(1, remote.attempts)
        result.worker = "amqp:" + (remote.worker ?? settings.workQueue)
        try spool.finish(claim, result: result)
        try acknowledge()
        totals.withLock { $0.finishedRemote += 1 }
        logger.info("job finished remotely", [
            "job": name, "status": result.status.rawValue, "digits": result.digits,
        ])
    }

    /// Fails a held job here, without sending it.
    private func failHeld(_ claim: Claim, code: String, message: String) {
        held.removeValue(forKey: claim.name)
        let result = JobResult.failure(
            claim.name, meta: claim.meta, code: code, message: message,
            attempts: claim.meta.crashes + 1)
        do {
            try spool.finish(claim, result: result)
        } catch {
            logger.warning("cannot fail job", ["job": claim.name, "error": error])
        }
    }

    /// Hands every held job back to `incoming/` (a stop).
    func releaseHeld() {
        for (name, claim) in held {
            do {
                try spool.release(claim)
            } catch {
                logger.warning("cannot hand back job", ["job": name, "error": error])
            }
        }
        held.removeAll()
        sentWork.removeAll()
    }
}

/// Reading a reply from a remote reader.
enum RemoteResult {
    /// The result JSON of the body (a reader running with `--json`); else what
    /// the headers and the text body say, so a reader without `--json` still works.
    static func decode(_ delivery: AMQPDelivery, id: String, meta: JobMeta) -> JobResult {
        let body = Data(delivery.body)
        if let result = try? SpoolJSON.decoder().decode(JobResult.self, from: body) {
            return result
        }
        let headers = delivery.properties.headers
        let failed = headers["status"]?.text == JobResult.Status.failed.rawValue
        let digits = headers["digits"]?.text ?? ""
        var result = JobResult(
            id: id, status: failed ? .failed : .done, mode: meta.mode ?? "digits",
            text: String(decoding: delivery.body, as: UTF8.self), digits: digits,
            numbers: digits.isEmpty ? [] : [digits],
            confidence: Double(headers["confidence"]?.text ?? "") ?? 0,
            source: meta.source, submittedAt: meta.submittedAt, attempts: 1)
        if failed {
            let code = headers["error_code"]?.text ?? "remote_failure"
            result.error = JobResult.Failure(
                code: code, message: "the remote reader failed: \(code)")
        }
        return result
    }
}
