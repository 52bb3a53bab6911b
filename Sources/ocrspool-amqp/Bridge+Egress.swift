import AMQPKit
import DaemonKit
import Foundation
import SpoolKit

extension Bridge {
    /// Publishes the results of finished jobs the watchers reported.
    ///
    /// - Returns: true when more are waiting (the loop should not sleep).
    func publishPending(_ connection: AMQPConnection) throws -> Bool {
        let reported = finishedInbox.withLock { inbox in
            defer { inbox.removeAll() }
            return inbox
        }
        for entry in reported where entry.hasSuffix(".json") {
            let id = String(entry.dropLast(5))
            if publishQueued.insert(id).inserted { publishBacklog.append(id) }
        }

        // A bounded batch per turn keeps deliveries and confirms flowing.
        let batch = publishBacklog.prefix(64)
        publishBacklog.removeFirst(batch.count)
        for id in batch {
            publishQueued.remove(id)
            guard let name = JobName(id), let stamp = resultStamp(name),
                examined[id] != stamp, let result = spool.result(of: name)
            else { continue }
            guard settings.publishAll || result.source == .amqp else {
                examined[id] = stamp
                continue
            }
            guard !spool.isPublished(result) else {
                examined[id] = stamp
                continue
            }
            guard !isUnconfirmed(id) else { continue }
            try publish(result, connection)
        }
        return !publishBacklog.isEmpty
    }

    /// The modification time of the job's result file, which changes when a
    /// retried job finishes again; nil when the job has no result.
    ///
    /// The watchers' rescans report every finished job again; a job examined
    /// with the same stamp is skipped without reading its result.
    func resultStamp(_ name: JobName) -> Double? {
        for queue in [Queue.done, .failed] {
            let path = spool.resultPath(queue, name)
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let date = attributes[.modificationDate] as? Date
            {
                return date.timeIntervalSince1970
            }
        }
        return nil
    }

    private func isUnconfirmed(_ id: String) -> Bool {
        unconfirmed.values.contains { $0.id == id }
    }

    private func publish(_ result: JobResult, _ connection: AMQPConnection) throws {
        let message = ResultMessage(result, json: settings.jsonBody)
        let queue = result.replyTo ?? settings.resultQueue
        let sequence = try connection.publish(
            routingKey: queue, properties: message.properties, body: message.body,
            mandatory: true, channel: Channel.publish)
        unconfirmed[sequence] = .result(result)
    }

    /// Applies a publisher confirm to the messages it covers.
    func confirm(_ sequence: UInt64, multiple: Bool, ack: Bool) {
        let covered = multiple
            ? unconfirmed.keys.filter { $0 <= sequence }.sorted() : [sequence]
        for number in covered {
            guard let outgoing = unconfirmed.removeValue(forKey: number) else { continue }
            let returned = returnedIDs.remove(outgoing.id) != nil
            switch outgoing {
            case .result(let result):
                confirmedResult(result, ack: ack, returned: returned)
            case .work(let name):
                confirmedWork(name, ack: ack, returned: returned)
            }
        }
    }

    private func confirmedResult(_ result: JobResult, ack: Bool, returned: Bool) {
        let queue = result.replyTo ?? settings.resultQueue
        guard ack else {
            // The broker refused it (an internal error); try again on the next turn.
            logger.warning("result refused by broker", ["job": result.id, "queue": queue])
            requeueResult(result.id)
            return
        }
        let note = returned ? "unroutable queue=\(queue)" : "confirmed queue=\(queue)"
        do {
            try spool.markPublished(result, note: note)
        } catch {
            logger.warning("cannot mark published", ["job": result.id, "error": error])
        }
        totals.withLock { totals in
            if returned { totals.unroutable += 1 } else { totals.published += 1 }
        }
        if !returned {
            logger.info("result published", [
                "job": result.id, "queue": queue, "status": result.status.rawValue,
            ])
        }
    }

    /// Puts a job's result back in line to be published.
    func requeueResult(_ id: String) {
        if publishQueued.insert(id).inserted { publishBacklog.append(id) }
    }

    /// After a lost connection nothing unconfirmed is known to be delivered: the
    /// results go back in line and the work goes out again on the next connection.
    func forgetUnconfirmed() {
        for outgoing in unconfirmed.sorted(by: { $0.key < $1.key }).map(\.value) {
            switch outgoing {
            case .result(let result): requeueResult(result.id)
            case .work(let name): sentWork.removeValue(forKey: name)
            }
        }
        unconfirmed.removeAll()
        returnedIDs.removeAll()
    }
}
