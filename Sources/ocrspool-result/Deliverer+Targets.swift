import DaemonKit
import Foundation
import ResultStore

extension Deliverer {
    /// Runs the hook command once; returns why it failed, or nil on exit 0.
    func runHook(_ delivery: Delivery) -> String? {
        guard let hook = hookCommand else { return "no hook configured" }
        var environment = ProcessInfo.processInfo.environment
        environment["OCRSPOOL_JOB_ID"] = delivery.jobID
        environment["OCRSPOOL_ATTEMPT"] = String(delivery.attempt)
        let variables = environment.map { "\($0.key)=\($0.value)" }

        let outcome: HookOutcome
        do {
            outcome = try HookProcess.run(
                hook.argv, input: Array(delivery.json.utf8), environment: variables,
                timeout: timeout)
        } catch {
            return "cannot start \(hook.argv[0]): \(error)"
        }

        let milliseconds = Int(outcome.milliseconds)
        if outcome.outputBytes > Deliverer.chattyOutput {
            logger.warning(
                "hook output discarded",
                ["job": delivery.jobID, "bytes": outcome.outputBytes])
        }
        if outcome.succeeded {
            logger.info(
                "hook delivered",
                ["job": delivery.jobID, "attempt": delivery.attempt, "ms": milliseconds])
            return nil
        }
        let head = outcome.outputHead.split(separator: "\n").first.map(String.init) ?? ""
        if outcome.timedOut {
            return "timed out after \(timeout)s, killed (output: \(head))"
        }
        if let signal = outcome.signal {
            return "killed by signal \(signal) (output: \(head))"
        }
        return "exit status \(outcome.exitCode ?? -1) (output: \(head))"
    }

    /// POSTs to the webhook once; returns why it failed, or nil on a 2xx answer.
    func postWebhook(_ delivery: Delivery) -> String? {
        guard let webhook = webhookSender else { return "no webhook configured" }
        switch webhook.post(delivery.json, jobID: delivery.jobID, attempt: delivery.attempt) {
        case .answered(let status, let milliseconds) where (200..<300).contains(status):
            logger.info(
                "webhook delivered",
                ["job": delivery.jobID, "attempt": delivery.attempt, "status": status,
                 "ms": Int(milliseconds)])
            return nil
        case .answered(let status, _):
            return "HTTP status \(status) from \(webhook.redactedURL)"
        case .failed(let reason):
            return "POST \(webhook.redactedURL): \(reason)"
        }
    }
}
